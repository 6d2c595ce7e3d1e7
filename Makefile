# pipeline: PGXS build.  `make test` and `make demo` set up everything they need.
EXTENSION  = pipeline
EXTVERSION = 0.2.0

MODULE_big = pipeline
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA       = sql/pipeline--0.1.0.sql sql/pipeline--0.2.0.sql sql/pipeline--0.1.0--0.2.0.sql
HEADERS    =

REGRESS      = registry keywords errors compat bad_input profile transform_strings transform_numbers transform_coerce transform_timestamps transform_structure transform_privacy trigger_rows trigger_column trigger_on_error trigger_replay replay_two_pipelines replay_trusts_rejects replay_dropped_table replay_global_state replay_column_defaults trigger_attach privileges trigger_reentrancy trigger_types trigger_partition trigger_update trigger_generated trigger_name_collision cache_miss_memory register_schema_dependents compat_immutable defs_not_keyword content_follows_formats ref_beside_id refusal_names_document compat_cache transform_hostile transform_case number_text transform_coerce_container ops_versions ops_output ops_infer ops_dryrun ops_gate hostile_drop_mid_row hostile_plan_per_table hostile_move_touched hostile_replay_nested hostile_replay_detached custom_formats ops_stats output_absolute_location dryrun_shared_steps transform_encoding transform_compiled_copy quarantine_direct hostile_formats hostile_memory_per_name search_path_int4_operator hostile_quarantine hostile_format_retired hostile_define_refused_memory quarantine_update_toasted hostile_profile hostile_replay_columns hostile_replay_memory hostile_registry_active hostile_gate_cursor hostile_nested_insert_slot hostile_nested_move hostile_step_moves_row hostile_generated_before_steps hostile_infinite_timestamps hostile_special_numbers hostile_multidim_arrays hostile_compat
REGRESS_OPTS = --load-extension=pipeline

# concurrency: specs/*.spec, run by installcheck after REGRESS (their diffs
# go to ./regression.diffs too, where scripts/test.sh looks)
ISOLATION      = define_during_insert replay_concurrent drop_attached register_during_define ops_activate format_registered_elsewhere quarantine_rejects_altered quarantine_rejects_truncated replay_while_quarantining define_seen_in_transaction statement_keeps_version
ISOLATION_OPTS = --load-extension=pipeline --outputdir=.

PG_CPPFLAGS = -I$(srcdir)/include
# -Wextra, less unused-parameter: PostgreSQL's own headers trip that one
PG_CFLAGS   = -Wextra -Wno-unused-parameter

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

ifeq ($(MAKECMDGOALS),check)
# `make check`: the day-to-day subset of `make test` (scripts/test.sh lists
# it), under 2 minutes.  PGXS's own check target only says it is not
# supported, so PGXS is left out of this one goal.
.PHONY: check
check:
	bash scripts/test.sh --check
else
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when a header changes
$(OBJS): $(wildcard include/*.h)
endif

.PHONY: test demo bench bench-quick
# `make test`: everything (pg_regress, isolation, pytest with the docs, the
# upgrade, the Python package and the conformance suite when present)
test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh

bench-quick:
	bash scripts/bench.sh --quick

# reliability (docs/security.md): the fuzz suite with a large budget, and
# pg_regress + isolation + the fuzz and limits suites under ASan and UBSan;
# both on a private server (scripts/asan.sh), nothing installed system-wide
.PHONY: fuzz check-asan
fuzz:
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1500} PYTEST_ARGS=test/test_fuzz.py bash scripts/asan.sh

check-asan:
	bash scripts/asan.sh

# PostgreSQL 17 (scripts/pg17.sh: a Debian trixie root made once per machine)
.PHONY: check-pg17
check-pg17:
	bash scripts/pg17.sh
# scale-out (docs/scale-out.md): the test/citus suite on a coordinator and two
# workers, private servers; Citus is built once per machine outside the
# repository (exit status 77: skipped, no Citus source beside the repository)
.PHONY: check-citus
check-citus:
	bash scripts/citus.sh
