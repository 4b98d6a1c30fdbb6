/* fuzz-companion-post.c: one POST route's body decoder, through the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built once per route of the contract, FUZZ_ROUTE naming it. The first
 * byte picks the state of the order the placeholders stand for (see
 * fuzz-companion.h); the rest is the JSON body, sent as a well-formed
 * request. Every body gets an answer, never a 5xx, and an error answer is
 * the contract's {code, message}.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include "crossing-protocol.h"

#include "fuzz-common.h"
#include "fuzz-companion.h"

#ifndef FUZZ_ROUTE
#error "FUZZ_ROUTE names the route, e.g. -DFUZZ_ROUTE=\"claim\""
#endif

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GString) body = NULL;
  g_autoptr(GString) request = NULL;
  FuzzResponse response;

  if (size < 1)
    return 0;
  fuzz_companion_init ();
  fuzz_companion_prepare (data[0]);
  body = fuzz_companion_substitute (data + 1, size - 1);

  request = g_string_new (NULL);
  g_string_append_printf (request,
                          "POST " CROSSING_DEFAULT_BASE_PATH CROSSING_CROSS_DEVICE_PREFIX "/"
                          FUZZ_ROUTE " HTTP/1.1\r\n"
                          "Host: 127.0.0.1:8787\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Connection: close\r\n"
                          "\r\n", body->len);
  g_string_append_len (request, body->str, (gssize) body->len);

  fuzz_companion_exchange (request->str, request->len, &response);
  if (response.status == 0)
    g_error ("no answer to a well-formed request:\n%s", request->str);
  fuzz_companion_check (&response);
  fuzz_response_clear (&response);
  return 0;
}
