/* crossing-secret.h: the session token in the Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One item per server, with the server URL and the subject as attributes
 * and "Crossing session for {server}" as its label. The token is kept
 * nowhere else: not in a file, not in GSettings, not in a log.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Stores (or replaces) the token of @server_url's session. */
void      crossing_secret_store_async  (const char           *server_url,
                                        const char           *subject,
                                        const char           *session_token,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  crossing_secret_store_finish (GAsyncResult         *result,
                                        GError              **error);

/* The stored token, or NULL without an error when there is none; an error
 * when no Secret Service can be reached. */
void      crossing_secret_lookup_async  (const char           *server_url,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
char     *crossing_secret_lookup_finish (GAsyncResult         *result,
                                         GError              **error);

/* The subject the stored session was for, or NULL without an error when
 * there is none; read from the item's attributes, without its secret. */
void      crossing_secret_lookup_subject_async  (const char           *server_url,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char     *crossing_secret_lookup_subject_finish (GAsyncResult         *result,
                                                 GError              **error);

void      crossing_secret_clear_async  (const char           *server_url,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  crossing_secret_clear_finish (GAsyncResult         *result,
                                        GError              **error);

G_END_DECLS
