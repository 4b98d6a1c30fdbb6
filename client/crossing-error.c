/* crossing-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "crossing-protocol.h"

#include "crossing-error.h"

char *
crossing_error_describe (const GError *error,
                         const char   *server_url)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == G_TLS_ERROR)
    return g_strdup_printf (_("The certificate of %s is not trusted, so Crossing did not "
                              "connect. Ask its administrator to fix it."), server_url);

  if (error->domain == G_RESOLVER_ERROR ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    return g_strdup_printf (_("Cannot reach the sign-in server at %s. Check your network "
                              "connection and that the server is running."), server_url);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return g_strdup_printf (_("The server address %s is not a valid web address. "
                              "Check the Crossing settings."), server_url);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    return g_strdup_printf (_("The server at %s redirects Crossing elsewhere. Check the server "
                              "address in the Crossing settings."), server_url);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    return g_strdup_printf (_("The server at %s sent far more data than a sign-in needs, so "
                              "Crossing stopped listening to it."), server_url);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    return g_strdup_printf (_("The connection to %s broke off in the middle of an answer. "
                              "Try again."), server_url);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    return g_strdup (_("The server stopped sending updates about this request. "
                       "Start over to get a new code."));

  if (error->domain == CROSSING_ERROR)
    {
      if (error->code == CROSSING_ERROR_ORDER_NOT_FOUND)
        return g_strdup (_("The server no longer knows this request. Start over to get a new code."));
      if (error->code == CROSSING_ERROR_ORDER_EXPIRED)
        return g_strdup (_("The sign-in request expired."));
      if (error->code == CROSSING_ERROR_RATE_LIMITED)
        return g_strdup (_("The server is busy. Try again in a moment."));
      if (error->code == CROSSING_ERROR_UNTRUSTED_ORIGIN)
        return g_strdup (_("The server does not accept sign-ins from this app."));
      if (error->code == CROSSING_ERROR_INTERNAL)
        return g_strdup (_("The server ran into a problem. Try again later."));
      return g_strdup_printf (_("The server refused the request: %s"), error->message);
    }

  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_INVALID_DATA)
    return g_strdup_printf (_("The server at %s sent an answer Crossing does not understand."),
                            server_url);

  return g_strdup_printf (_("Something went wrong talking to %s: %s"), server_url,
                          error->message);
}
