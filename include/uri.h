/*
 * uri.h: RFC 3986 reference resolution for JSON Schema base URIs.
 */
#ifndef PIPELINE_URI_H
#define PIPELINE_URI_H

/*
 * Resolve reference "ref" against absolute base URI "base" (RFC 3986 section
 * 5.2, with dot-segment removal).  "base" may be NULL or empty, in which case
 * "ref" is returned as is.  Works for any scheme, including "urn:" and
 * "tag:" URIs that have no authority or hierarchical path (for those a
 * reference that is only a fragment replaces the fragment, and an absolute
 * reference replaces the whole).  Returns a palloc'd string.
 */
extern char *uri_resolve(const char *base, const char *ref);

/*
 * Split "uri" at its first '#': *resource gets the part before it, *fragment
 * the part after it (percent-decoded), or NULL when there is no '#'.  Both are
 * palloc'd.
 */
extern void uri_split_fragment(const char *uri, char **resource, char **fragment);

#endif
