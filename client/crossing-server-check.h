/* crossing-server-check.h: is this address a Crossing companion?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Asks {basePath}/health before a server address is saved, and tells what
 * is wrong from the errors of that call and, where they leave a doubt, of
 * one more call with the other scheme: a plain-http request to a TLS server
 * and a TLS handshake with a plain-http server both fail in ways that name
 * neither, and only the second call shows which scheme the server speaks.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  CROSSING_SERVER_OK,
  CROSSING_SERVER_INVALID_URL,
  CROSSING_SERVER_UNREACHABLE,
  CROSSING_SERVER_NOT_CROSSING,
  CROSSING_SERVER_UNTRUSTED_CERTIFICATE,
  CROSSING_SERVER_WANTS_HTTPS,      /* http:// given, the server speaks TLS */
  CROSSING_SERVER_WANTS_HTTP,       /* https:// given, the server speaks plain http */
  CROSSING_SERVER_UNAVAILABLE,      /* a companion whose store is down, or a 5xx */
} CrossingServerVerdict;

void                   crossing_server_check_async   (const char           *server_url,
                                                      const char           *base_path,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* @version: the companion's version when OK; @detail: the error the
 * verdict rests on (for the log), otherwise. Fails only when cancelled. */
CrossingServerVerdict  crossing_server_check_finish  (GAsyncResult         *result,
                                                      char                **version,
                                                      char                **detail,
                                                      GError              **error);

/* A sentence for the user. */
char                  *crossing_server_verdict_describe (CrossingServerVerdict  verdict,
                                                         const char            *server_url);

G_END_DECLS
