/*
 * registry.h: reading the registry of schemas (pipeline.schemas), the
 * resolver that specs compile with, and running a compile whose failure must
 * be contained.
 */
#ifndef PIPELINE_REGISTRY_H
#define PIPELINE_REGISTRY_H

#include "utils/elog.h"
#include "utils/jsonb.h"

/* src/registry.c */
extern Jsonb *pl_registry_schema(const char *uri);
extern bool pl_try_invalid(void (*fn) (void *arg), void *arg, ErrorData **err);

#endif
