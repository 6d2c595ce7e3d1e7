/*
 * metaschemas.h: the official JSON Schema metaschemas, built in.
 */
#ifndef PIPELINE_METASCHEMAS_H
#define PIPELINE_METASCHEMAS_H

/* The JSON text of a built-in metaschema, by its URI without fragment ("#" and trailing-# variants are the caller's job), or NULL. */
extern const char *pl_builtin_schema(const char *uri);

#endif
