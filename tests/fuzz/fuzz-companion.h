/* fuzz-companion.h: the real companion in-process, for the fuzz targets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A CompanionServer on an in-memory store takes each request on a fresh
 * socketpair (soup_server_accept_iostream()); the harness iterates the main
 * context until the answer is complete. Before a request it can put an
 * order in a given state, so that inputs reach past the token checks: the
 * placeholders below in an input are replaced with that order's values.
 *
 *   $ORDER $CLAIM $CHALLENGE $DESKTOP $EVENT $CODE $PUB $SIG $ADDRESS $SESSION
 *   $USERCODE (a login order's user code, while it is created)
 *
 * and, set by the Nimiq and mobile-QR targets (fuzz-companion-flows.c):
 *
 *   $NONCE (a nonceId) $QR (a mobile-QR challengeId) $POLL (its poll cookie)
 *
 * Any value the state does not have is a well-formed token of no order.
 */
#pragma once

#include <glib.h>

#include "crossing-protocol.h"

G_BEGIN_DECLS

typedef enum {
  FUZZ_ORDER_NONE,
  FUZZ_ORDER_STARTED,
  FUZZ_ORDER_CLAIMED,
  FUZZ_ORDER_CHALLENGED,     /* $PUB and $SIG approve it */
  FUZZ_ORDER_APPROVED,
  FUZZ_ORDER_FINALIZED,      /* a login: $SESSION is its session */
  FUZZ_ORDER_SIGN_STARTED,   /* kind sign, nimiq-pay adapter */
  FUZZ_ORDER_SIGN_CHALLENGED,
  FUZZ_ORDER_N_STATES
} FuzzOrderState;

typedef struct {
  guint     status;        /* 0: no status line came back */
  gboolean  closed;        /* the server ended the connection */
  gboolean  event_stream;  /* a text/event-stream the server keeps open */
  GString  *raw;
  gsize     body_offset;   /* where the (first) body starts in @raw */
  gssize    body_length;   /* its Content-Length, or -1 */
} FuzzResponse;

void      fuzz_companion_init        (void);
/* Starts an order and walks it to @state (taken modulo the number of states). */
void      fuzz_companion_prepare     (guint         state);
/* The input with the placeholders replaced. */
GString  *fuzz_companion_substitute  (const guint8 *data,
                                      gsize         size);
/* Sends @request on a new connection and reads until the server closes it
 * or has nothing more to say. */
void      fuzz_companion_exchange    (const char   *request,
                                      gsize         len,
                                      FuzzResponse *response);
void      fuzz_response_clear        (FuzzResponse *response);
/* A placeholder's value for this run, and setting it. */
const char *fuzz_companion_get_value (const char   *placeholder);
void      fuzz_companion_set_value   (const char   *placeholder,
                                      const char   *text);
/* Signs @message with the harness's key: sets $PUB, $SIG and $ADDRESS. */
void      fuzz_companion_sign        (CrossingAdapter adapter,
                                      const char     *message);
/* Aborts on what is a bug whatever the request: a 5xx, an error body that
 * is not the contract's {code, message}. */
void      fuzz_companion_check       (const FuzzResponse *response);

G_END_DECLS
