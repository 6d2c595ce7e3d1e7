# private_pg.sh: sourced by asan.sh and citus.sh, which run servers of their
# own without installing anything system-wide.  PostgreSQL finds its share and
# lib directories relative to its binary, so a copy of the installation in a
# work directory, with this extension installed into it (DESTDIR), is a
# private installation.  Expects ROOT and PG_CONFIG; sets BINDIR, SHAREDIR,
# PKGLIBDIR and provides:
#   as_pg CMD...                 a server tool, as "postgres" when root
#   private_workdir PREFIX [DIR] WORK (DIR, kept; or a new one) and KEEP
#   private_install SANITIZE [TREE]  PRIV: the installation copied into
#                                $WORK/pg, TREE's files over it, this
#                                extension built in $WORK/build (ASan and
#                                UBSan when SANITIZE is 1) and installed
#   sanitizer_env REPORTS        ENVS: the runtime's environment for servers
#   private_reachable            the work directory usable by "postgres"

BINDIR=$("$PG_CONFIG" --bindir)
SHAREDIR=$("$PG_CONFIG" --sharedir)
PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)

as_pg() {
    # postgres refuses to run as root: run the server's tools as "postgres"
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- env "$@"
    else
        env "$@"
    fi
}

private_workdir() {
    if [ -n "${2:-}" ]; then
        WORK=$2
        KEEP=1
        mkdir -p "$WORK"
    else
        WORK=$(mktemp -d -t "$1.XXXXXX")
        KEEP=0
    fi
    chmod 755 "$WORK"
}

private_install() {
    local copt="-g -O2 -fno-omit-frame-pointer"
    PRIV=$WORK/pg
    BUILD=$WORK/build
    echo "== private installation in $PRIV (sanitizers: $1)"
    rm -rf "$PRIV" "$BUILD"
    mkdir -p "$PRIV$(dirname "$BINDIR")" "$PRIV$(dirname "$SHAREDIR")" "$BUILD"
    cp -a "$(dirname "$BINDIR")" "$PRIV$(dirname "$(dirname "$BINDIR")")/"
    cp -a "$SHAREDIR" "$PRIV$(dirname "$SHAREDIR")/"
    [ -n "${2:-}" ] && cp -a "$2/." "$PRIV/"
    tar -C "$ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=results \
        --exclude=output_iso --exclude=__pycache__ --exclude=.hypothesis -cf - . | tar -C "$BUILD" -xf -
    if [ "$1" = 1 ]; then
        copt="$copt -fsanitize=address,undefined -fno-sanitize-address-use-after-scope"
    fi
    make -s -C "$BUILD" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" with_llvm=no COPT="$copt" >/dev/null
    make -s -C "$BUILD" install PG_CONFIG="$PG_CONFIG" with_llvm=no DESTDIR="$PRIV" >/dev/null
    test -f "$PRIV$PKGLIBDIR/pipeline.so"
}

sanitizer_env() {
    local preload
    preload=$(gcc -print-file-name=libasan.so)
    [ -f "$preload" ] || { echo "libasan not found (apt-get install libasan8)" >&2; exit 2; }
    # The runtime initializes lazily, on the first malloc, which in the
    # postgres binary happens inside a library constructor (p11-kit's
    # newlocale, gnutls's bindtextdomain) that holds a glibc locale lock.  Its
    # init then calls dlsym("swift_demangle"), whose failure makes dlerror()
    # run gettext, which takes and releases that same lock: the lock is
    # corrupted and the process hangs in bindtextdomain.  Providing the
    # symbol keeps dlerror() out of it.
    printf '#include <stddef.h>\n#include <stdint.h>\nchar *swift_demangle(const char *m, size_t l, char *o, size_t *os, uint32_t f);\nchar *swift_demangle(const char *m, size_t l, char *o, size_t *os, uint32_t f) { return NULL; }\n' \
        > "$WORK/swift_stub.c"
    gcc -shared -fPIC -O2 -o "$WORK/swift_stub.so" "$WORK/swift_stub.c"
    ENVS=(LD_PRELOAD="$preload $WORK/swift_stub.so"
          ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0:log_path=$1/asan:verify_asan_link_order=0"
          UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:log_path=$1/ubsan")
}

private_reachable() {
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$WORK"
    # the home of the clusters must be reachable by the postgres user
    local d=$WORK
    while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
}
