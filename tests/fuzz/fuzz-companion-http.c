/* fuzz-companion-http.c: the companion's routing, from raw HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first byte picks the state of the order the placeholders stand for
 * (see fuzz-companion.h); the rest is whatever a client sends: method,
 * path, query (the events route's orderId and eventToken), headers and
 * body, for the API and for the phone page's files alike. The server must
 * never answer 500, must answer the contract's error bodies, and must not
 * sit on a request without answering or closing.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include "fuzz-common.h"
#include "fuzz-companion.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GString) request = NULL;
  FuzzResponse response;

  if (size < 1)
    return 0;
  fuzz_companion_init ();
  fuzz_companion_prepare (data[0]);
  request = fuzz_companion_substitute (data + 1, size - 1);

  fuzz_companion_exchange (request->str, request->len, &response);
  /* Once it answered, libsoup may keep a half-closed connection for the
   * next request; before that, it must not sit on one. */
  if (response.status == 0 && !response.closed)
    g_error ("the server neither answered nor closed:\n%s\n--- got:\n%s", request->str,
             response.raw->str);
  fuzz_companion_check (&response);
  fuzz_response_clear (&response);
  return 0;
}
