/*
 * passthrough.h - `passthrough-headers: true`: the upstream's response
 * headers that may be copied to the client (SPEC §1.3).
 */
#ifndef CLIPROXY_PASSTHROUGH_H
#define CLIPROXY_PASSTHROUGH_H

struct arena;
struct upstream_resp;

/* "Name: value\r\n" lines of r's headers minus hop-by-hop ones (and those
   named in its Connection header), Set-Cookie, Content-Length,
   Content-Encoding, the gateway prefixes x-litellm-, helicone-,
   x-portkey-, cf-aig-, x-kong-, x-bt-, and the ones cliproxy writes itself
   (Content-Type, Cache-Control, Access-Control-Allow-Origin).  NULL when
   none is left or on ENOMEM. */
const char *passthrough_headers(struct arena *a, const struct upstream_resp *r);

#endif
