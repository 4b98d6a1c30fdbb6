/* test-server-check.c: each verdict of the preferences' server check, from
 * real servers on loopback: the companion over plain http and over TLS with
 * a self-signed certificate, a web server that is not a companion, and a
 * port nothing listens on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "crossing-server-check.h"

/* A self-signed certificate and key for 127.0.0.1, made for the tests only. */
static const char self_signed_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBjzCCATagAwIBAgIUODLV06OXuYuLn0qFzojdAgriHzkwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjEzMzUzN1oYDzIxMjYxMDI5\n"
  "MTMzNTM3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAAT2HN9GOHW2hlleYqHHO4xH4ohodZwvQ+0EZnMn84xnmjptvn46XukT\n"
  "RC63yxEj2uhVVj8EstUIaeA6pi5cDynOo2QwYjAdBgNVHQ4EFgQU2RqFekY0N6SZ\n"
  "lD08yC2Uk/SUHj8wHwYDVR0jBBgwFoAU2RqFekY0N6SZlD08yC2Uk/SUHj8wDwYD\n"
  "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC\n"
  "IAd6JCKrpgcnIXh2uRBbBEAGdLnHibe3X6FsEFtmbPFoAiAxjcK/TjymxbWobIc5\n"
  "b9gQVo96AeKWFjtdcyVTJMu2aA==\n"
  "-----END CERTIFICATE-----\n"
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghw4mgKbuB8mT/+k0\n"
  "2wkNYVqL/OMje6bQ4C2RH+voGPihRANCAAT2HN9GOHW2hlleYqHHO4xH4ohodZwv\n"
  "Q+0EZnMn84xnmjptvn46XukTRC63yxEj2uhVVj8EstUIaeA6pi5cDynO\n"
  "-----END PRIVATE KEY-----\n";

typedef struct {
  char        *dir;
  GSubprocess *companion;
  char        *url;
} Companion;

static void
companion_stop (Companion *self)
{
  if (self->companion != NULL)
    {
      g_subprocess_send_signal (self->companion, SIGTERM);
      g_subprocess_wait (self->companion, NULL, NULL);
    }
  g_clear_object (&self->companion);
  g_free (self->url);
  if (self->dir != NULL)
    {
      g_autofree char *db = g_build_filename (self->dir, "companion.db", NULL);
      g_autofree char *pem = g_build_filename (self->dir, "tls.pem", NULL);
      g_autofree char *wal = g_strconcat (db, "-wal", NULL);
      g_autofree char *shm = g_strconcat (db, "-shm", NULL);

      g_unlink (db);
      g_unlink (wal);
      g_unlink (shm);
      g_unlink (pem);
      g_rmdir (self->dir);
      g_free (self->dir);
    }
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Companion, companion_stop)

/* The real companion on a free loopback port, over TLS when @tls. */
static Companion *
companion_start (gboolean tls)
{
  const char *binary = g_getenv ("CROSSING_COMPANION");
  Companion *self = g_new0 (Companion, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *pem = NULL;
  char *line;

  g_assert_nonnull (binary);
  self->dir = g_dir_make_tmp ("crossing-check-XXXXXX", &error);
  g_assert_no_error (error);
  g_ptr_array_add (argv, g_strdup (binary));
  g_ptr_array_add (argv, g_strdup ("serve"));
  g_ptr_array_add (argv, g_strdup ("--listen=127.0.0.1:0"));
  g_ptr_array_add (argv, g_strdup_printf ("--db=%s/companion.db", self->dir));
  if (tls)
    {
      pem = g_build_filename (self->dir, "tls.pem", NULL);
      g_file_set_contents (pem, self_signed_pem, -1, &error);
      g_assert_no_error (error);
      g_ptr_array_add (argv, g_strdup_printf ("--tls-cert=%s", pem));
      g_ptr_array_add (argv, g_strdup_printf ("--tls-key=%s", pem));
    }
  g_ptr_array_add (argv, NULL);
  self->companion = g_subprocess_newv ((const char * const *) argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->companion));
  while ((line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "crossing-companion listening on "))
        self->url = g_strdup (line + strlen ("crossing-companion listening on "));
      g_free (line);
      if (self->url != NULL)
        break;
    }
  g_assert_no_error (error);
  g_assert_nonnull (self->url);
  return self;
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static CrossingServerVerdict
check (const char  *url,
       char       **version)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  CrossingServerVerdict verdict;

  crossing_server_check_async (url, NULL, NULL, on_checked, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  verdict = crossing_server_check_finish (result, version, &detail, &error);
  g_assert_no_error (error);
  g_test_message ("%s: verdict %d (%s)", url, verdict, detail != NULL ? detail : "no error");
  return verdict;
}

static char *
with_scheme (const char *url,
             const char *scheme)
{
  return g_strconcat (scheme, strstr (url, "://"), NULL);
}

static void
test_plain_companion (void)
{
  g_autoptr(Companion) companion = companion_start (FALSE);
  g_autofree char *https = with_scheme (companion->url, "https");
  g_autofree char *version = NULL;

  g_assert_true (g_str_has_prefix (companion->url, "http://"));
  g_assert_cmpint (check (companion->url, &version), ==, CROSSING_SERVER_OK);
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  /* https:// where the server speaks plain http */
  g_assert_cmpint (check (https, NULL), ==, CROSSING_SERVER_WANTS_HTTP);
}

static void
test_tls_companion (void)
{
  g_autoptr(Companion) companion = NULL;
  g_autofree char *http = NULL;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking)");
      return;
    }
  companion = companion_start (TRUE);
  http = with_scheme (companion->url, "http");
  g_assert_true (g_str_has_prefix (companion->url, "https://"));
  /* Its certificate is its own: nothing on this computer trusts it. */
  g_assert_cmpint (check (companion->url, NULL), ==, CROSSING_SERVER_UNTRUSTED_CERTIFICATE);
  /* http:// where the server wants https */
  g_assert_cmpint (check (http, NULL), ==, CROSSING_SERVER_WANTS_HTTPS);
}

static void
not_crossing_handler (SoupServer        *server,
                      SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query,
                      gpointer           user_data)
{
  static const char page[] = "<!doctype html><title>Not Found</title><h1>Not Found</h1>";

  soup_server_message_set_status (msg, 404, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, strlen (page));
}

static void
test_not_a_companion (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autofree char *url = NULL;
  GSList *uris;

  soup_server_add_handler (server, NULL, not_crossing_handler, NULL, NULL);
  soup_server_listen (server, address, 0, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_assert_cmpint (check (url, NULL), ==, CROSSING_SERVER_NOT_CROSSING);
}

static void
test_nothing_listens (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;

  /* A port that was free a moment ago, bound but not listening. */
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  g_assert_cmpint (check (url, NULL), ==, CROSSING_SERVER_UNREACHABLE);
  g_assert_cmpint (check ("ftp://example.org", NULL), ==, CROSSING_SERVER_INVALID_URL);
  g_assert_cmpint (check ("https://", NULL), ==, CROSSING_SERVER_INVALID_URL);
  text = crossing_server_verdict_describe (CROSSING_SERVER_UNREACHABLE, url);
  g_assert_nonnull (strstr (text, url));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/server-check/plain-companion-ok-and-https-is-wrong",
                   test_plain_companion);
  g_test_add_func ("/client/server-check/tls-companion-untrusted-and-http-is-wrong",
                   test_tls_companion);
  g_test_add_func ("/client/server-check/web-server-is-not-crossing", test_not_a_companion);
  g_test_add_func ("/client/server-check/nothing-listening-is-unreachable",
                   test_nothing_listens);
  return g_test_run ();
}
