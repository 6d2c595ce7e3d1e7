/*
 * uri.c: RFC 3986 reference resolution for JSON Schema base URIs.
 *
 * A URI is split into its five components (RFC 3986 appendix B, with the
 * strict scheme syntax of section 3.1), resolved by the algorithm of section
 * 5.2.2 ("strict" mode: a reference with a scheme is always absolute), and
 * recomposed as in section 5.3.  Non-hierarchical URIs ("urn:", "tag:") need
 * no special case: they have no authority, and their path simply has no "/".
 *
 * Everything here runs in time linear in the length of its input, without
 * recursion, and copes with arbitrary bytes in its input.
 */
#include "postgres.h"

#include "ascii.h"
#include "uri.h"

/* One component of a URI: a slice of the original string, maybe absent. */
typedef struct UriSlice
{
	const char *ptr;
	size_t		len;
	bool		defined;
} UriSlice;

/* A URI reference split into its five components. */
typedef struct UriParts
{
	UriSlice	scheme;
	UriSlice	authority;
	UriSlice	path;			/* always defined, maybe empty */
	UriSlice	query;
	UriSlice	fragment;
} UriParts;

/* An output buffer allocated large enough up front. */
typedef struct UriBuf
{
	char	   *data;
	size_t		len;
} UriBuf;

/* May c appear after the first character of a scheme? */
static inline bool
is_scheme_char(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') ||
		c == '+' || c == '-' || c == '.';
}

/* Length of the scheme that s starts with (excluding ':'), or 0 if none. */
static size_t
scheme_length(const char *s)
{
	size_t		i;

	if (!is_alpha(s[0]))
		return 0;
	for (i = 1; is_scheme_char(s[i]); i++)
		;
	return s[i] == ':' ? i : 0;
}

/* Make *slice the defined component [ptr, ptr + len). */
static void
slice_set(UriSlice *slice, const char *ptr, size_t len)
{
	slice->ptr = ptr;
	slice->len = len;
	slice->defined = true;
}

/* Length of the prefix of s made of bytes not in the NUL-terminated "stops". */
static size_t
span_until(const char *s, const char *stops)
{
	return strcspn(s, stops);
}

/* Split the URI reference s into its components (RFC 3986 appendix B). */
static void
uri_parse(const char *s, UriParts *parts)
{
	size_t		n;

	memset(parts, 0, sizeof(*parts));

	n = scheme_length(s);
	if (n > 0)
	{
		slice_set(&parts->scheme, s, n);
		s += n + 1;
	}

	if (s[0] == '/' && s[1] == '/')
	{
		s += 2;
		n = span_until(s, "/?#");
		slice_set(&parts->authority, s, n);
		s += n;
	}

	n = span_until(s, "?#");
	slice_set(&parts->path, s, n);
	s += n;

	if (*s == '?')
	{
		s++;
		n = span_until(s, "#");
		slice_set(&parts->query, s, n);
		s += n;
	}

	if (*s == '#')
	{
		s++;
		slice_set(&parts->fragment, s, strlen(s));
	}
}

/* Does [p, p + avail) start with the NUL-terminated string "lit"? */
static inline bool
starts_with(const char *p, size_t avail, const char *lit)
{
	size_t		n = strlen(lit);

	return avail >= n && memcmp(p, lit, n) == 0;
}

/* Is [p, p + avail) exactly the NUL-terminated string "lit"? */
static inline bool
equals(const char *p, size_t avail, const char *lit)
{
	return avail == strlen(lit) && memcmp(p, lit, avail) == 0;
}

/* Drop the last segment and the "/" before it from out; returns new length. */
static size_t
pop_segment(const char *out, size_t len)
{
	while (len > 0 && out[len - 1] != '/')
		len--;
	return len > 0 ? len - 1 : 0;
}

/*
 * remove_dot_segments (RFC 3986 section 5.2.4) of in[0..n) into out, which
 * must have room for n bytes; returns the output length.  Each input byte is
 * consumed once and each output byte removed at most once, so this is linear.
 */
static size_t
remove_dot_segments(const char *in, size_t n, char *out)
{
	size_t		olen = 0;

	while (n > 0)
	{
		if (starts_with(in, n, "../"))
		{
			in += 3, n -= 3;	/* A */
		}
		else if (starts_with(in, n, "./"))
		{
			in += 2, n -= 2;	/* A */
		}
		else if (starts_with(in, n, "/./"))
		{
			in += 2, n -= 2;	/* B: now at the second "/" */
		}
		else if (equals(in, n, "/."))
		{
			out[olen++] = '/';	/* B, then E on the "/" left */
			n = 0;
		}
		else if (starts_with(in, n, "/../"))
		{
			in += 3, n -= 3;	/* C */
			olen = pop_segment(out, olen);
		}
		else if (equals(in, n, "/.."))
		{
			olen = pop_segment(out, olen);	/* C, then E */
			out[olen++] = '/';
			n = 0;
		}
		else if (equals(in, n, ".") || equals(in, n, ".."))
		{
			n = 0;				/* D */
		}
		else
		{
			size_t		seg = (in[0] == '/') ? 1 : 0;	/* E */
			const char *slash = memchr(in + seg, '/', n - seg);

			seg = slash ? (size_t) (slash - in) : n;
			memcpy(out + olen, in, seg);
			olen += seg;
			in += seg, n -= seg;
		}
	}
	return olen;
}

/* Merge a relative path onto the base path (RFC 3986 section 5.2.3). */
static size_t
merge_paths(const UriParts *base, const UriSlice *rpath, char *out)
{
	size_t		keep = 0;

	if (base->authority.defined && base->path.len == 0)
		out[keep++] = '/';
	else
	{
		/* everything up to and including the base path's last "/" */
		for (size_t i = base->path.len; i > 0; i--)
		{
			if (base->path.ptr[i - 1] == '/')
			{
				keep = i;
				break;
			}
		}
		memcpy(out, base->path.ptr, keep);
	}
	memcpy(out + keep, rpath->ptr, rpath->len);
	return keep + rpath->len;
}

/* Set *dst to remove_dot_segments(src), with the result stored in buf. */
static void
set_clean_path(UriSlice *dst, const char *src, size_t n, char *buf)
{
	slice_set(dst, buf, remove_dot_segments(src, n, buf));
}

/* Append len bytes at p to buf (which was allocated large enough). */
static void
buf_append(UriBuf *buf, const char *p, size_t len)
{
	memcpy(buf->data + buf->len, p, len);
	buf->len += len;
}

/* Recompose a URI from its components (RFC 3986 section 5.3), palloc'd. */
static char *
uri_recompose(const UriParts *t)
{
	UriBuf		buf;
	bool		guard;

	/*
	 * Without an authority a path may not start with "//" (section 3.3), or
	 * it would read back as one; "/." in front keeps the meaning intact.
	 */
	guard = !t->authority.defined && t->path.len >= 2 &&
		t->path.ptr[0] == '/' && t->path.ptr[1] == '/';

	buf.data = palloc(t->scheme.len + t->authority.len + t->path.len +
					  t->query.len + t->fragment.len + 8);
	buf.len = 0;

	if (t->scheme.defined)
	{
		buf_append(&buf, t->scheme.ptr, t->scheme.len);
		buf_append(&buf, ":", 1);
	}
	if (t->authority.defined)
	{
		buf_append(&buf, "//", 2);
		buf_append(&buf, t->authority.ptr, t->authority.len);
	}
	if (guard)
		buf_append(&buf, "/.", 2);
	buf_append(&buf, t->path.ptr, t->path.len);
	if (t->query.defined)
	{
		buf_append(&buf, "?", 1);
		buf_append(&buf, t->query.ptr, t->query.len);
	}
	if (t->fragment.defined)
	{
		buf_append(&buf, "#", 1);
		buf_append(&buf, t->fragment.ptr, t->fragment.len);
	}
	buf.data[buf.len] = '\0';
	return buf.data;
}

/* Resolve ref against base (RFC 3986 section 5.2.2, strict); palloc'd. */
char *
uri_resolve(const char *base, const char *ref)
{
	UriParts	b;
	UriParts	r;
	UriParts	t;
	char	   *scratch;
	char	   *pathbuf;
	char	   *result;

	if (ref == NULL)
		ref = "";
	if (base == NULL || base[0] == '\0')
		return pstrdup(ref);

	uri_parse(base, &b);
	uri_parse(ref, &r);
	memset(&t, 0, sizeof(t));

	/* room for a merged path, and for its dot-free form */
	scratch = palloc(b.path.len + r.path.len + 2);
	pathbuf = palloc(b.path.len + r.path.len + 2);

	if (r.scheme.defined)
	{
		t.scheme = r.scheme;
		t.authority = r.authority;
		set_clean_path(&t.path, r.path.ptr, r.path.len, pathbuf);
		t.query = r.query;
	}
	else
	{
		if (r.authority.defined)
		{
			t.authority = r.authority;
			set_clean_path(&t.path, r.path.ptr, r.path.len, pathbuf);
			t.query = r.query;
		}
		else
		{
			if (r.path.len == 0)
			{
				t.path = b.path;
				t.query = r.query.defined ? r.query : b.query;
			}
			else
			{
				if (r.path.ptr[0] == '/')
					set_clean_path(&t.path, r.path.ptr, r.path.len, pathbuf);
				else
					set_clean_path(&t.path, scratch,
								   merge_paths(&b, &r.path, scratch), pathbuf);
				t.query = r.query;
			}
			t.authority = b.authority;
		}
		t.scheme = b.scheme;
	}
	t.fragment = r.fragment;

	result = uri_recompose(&t);
	pfree(scratch);
	pfree(pathbuf);
	return result;
}

/* The byte encoded by a "%XX" escape at s[0..avail), or -1 if none is there. */
static int
escape_at(const char *s, size_t avail)
{
	int			hi;
	int			lo;

	if (avail < 3 || s[0] != '%')
		return -1;
	hi = hex_value(s[1]);
	lo = hex_value(s[2]);
	return (hi < 0 || lo < 0) ? -1 : (hi << 4) | lo;
}

/* Byte count of the UTF-8 sequence led by b (0 if b cannot lead one, or is NUL). */
static int
utf8_sequence_bytes(int b)
{
	if (b >= 0x01 && b <= 0x7F)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		return 2;
	if (b >= 0xE0 && b <= 0xEF)
		return 3;
	if (b >= 0xF0 && b <= 0xF4)
		return 4;
	return 0;
}

/* May b follow lead byte b0 as the second byte (no overlongs, surrogates)? */
static bool
utf8_second_ok(int b0, int b)
{
	int			lo = 0x80;
	int			hi = 0xBF;

	if (b0 == 0xE0)
		lo = 0xA0;
	else if (b0 == 0xED)
		hi = 0x9F;
	else if (b0 == 0xF0)
		lo = 0x90;
	else if (b0 == 0xF4)
		hi = 0x8F;
	return b >= lo && b <= hi;
}

/*
 * Decode one whole, valid UTF-8 character spelled as "%XX" escapes at
 * s[0..avail) into dst; returns the source bytes consumed, or 0 if there is
 * no such character there (then the escapes are to be kept literally).
 */
static size_t
decode_escaped_char(const char *s, size_t avail, char *dst)
{
	int			b0 = escape_at(s, avail);
	int			n = utf8_sequence_bytes(b0);

	for (int k = 1; k < n; k++)
	{
		int			b = escape_at(s + 3 * k, avail - 3 * k);

		if (b < 0 || (k == 1 ? !utf8_second_ok(b0, b) : (b < 0x80 || b > 0xBF)))
			return 0;
		dst[k] = (char) b;
	}
	if (n > 0)
		dst[0] = (char) b0;
	return 3 * (size_t) n;
}

/*
 * Percent-decode s[0..len) into a palloc'd string.  Escapes that are
 * malformed, encode NUL, or do not form valid UTF-8 are kept as written.
 */
static char *
percent_decode(const char *s, size_t len)
{
	char	   *out = palloc(len + 1);
	size_t		olen = 0;
	size_t		i = 0;

	while (i < len)
	{
		size_t		used = 0;

		if (s[i] == '%')
			used = decode_escaped_char(s + i, len - i, out + olen);
		if (used > 0)
		{
			olen += used / 3;
			i += used;
		}
		else
			out[olen++] = s[i++];
	}
	out[olen] = '\0';
	return out;
}

/* Split uri at its first '#' into resource and percent-decoded fragment. */
void
uri_split_fragment(const char *uri, char **resource, char **fragment)
{
	const char *hash;

	if (uri == NULL)
		uri = "";
	hash = strchr(uri, '#');
	if (hash == NULL)
	{
		*resource = pstrdup(uri);
		*fragment = NULL;
		return;
	}
	*resource = pnstrdup(uri, hash - uri);
	*fragment = percent_decode(hash + 1, strlen(hash + 1));
}
