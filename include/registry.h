/*
 * registry.h: reading the registry of schemas (pipeline.schemas) and
 * formats (pipeline.formats), the resolvers that specs compile with, and
 * running a compile whose failure must be contained.
 */
#ifndef PIPELINE_REGISTRY_H
#define PIPELINE_REGISTRY_H

#include "utils/elog.h"
#include "utils/jsonb.h"

#include "spec.h"

/* src/registry.c */
extern Jsonb *pl_registry_schema(const char *uri);
extern bool pl_try_invalid(void (*fn) (void *arg), void *arg, ErrorData **err);
extern int	pl_registry_current_specs(const char *needle, char ***names, Jsonb ***specs);

/* src/format_registry.c */
extern bool pl_registry_format(const char *name, const char *where, PlFormatDef *def);
extern const PlResolver pl_registry_resolver;	/* schemas and formats, quietly */
extern const PlResolver pl_registry_define_resolver;	/* warns of unknown formats */

#endif
