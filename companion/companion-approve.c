/* companion-approve.c: claims an order from its link and approves or
 * rejects it, as a phone would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-approve"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crossing-claim-url.h"
#include "crossing-proof.h"
#include "crossing-token.h"

#include "companion-approve.h"

#define EXIT_APPROVED 0
#define EXIT_DECLINED 1
#define EXIT_ERROR    2

typedef struct {
  SoupSession *session;
  char        *api;
  char        *origin;
} Client;

char *
companion_approve_describe_error (const char *code,
                                  const char *message)
{
  static const struct {
    const char *code;
    const char *sentence;
  } sentences[] = {
    { "ORDER_EXPIRED", "This sign-in request has expired. Start a new one on the desktop." },
    { "ALREADY_CLAIMED", "Another device has already scanned this code." },
    { "CHECK_CODE_MISMATCH", "That number does not match the one on the desktop "
                             "(three wrong numbers cancel the request)." },
    { "INVALID_CLAIM_TOKEN", "This link is not valid (it may have been mistyped)." },
    { "ORDER_NOT_FOUND", "This sign-in request does not exist on the server." },
    { "UNABLE_TO_RESOLVE_APPROVED_LOGIN", "This key is not allowed to sign in on this server." },
    { "TRANSITION_CONFLICT", "This sign-in request has already ended." },
    { "INVALID_PROOF", "The server did not accept this device's signature." },
    { "RATE_LIMITED", "The server is busy; try again in a moment." },
  };

  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (sentences); i++)
    if (strcmp (code, sentences[i].code) == 0)
      {
        if (strcmp (code, "CHECK_CODE_MISMATCH") == 0 && message != NULL)
          return g_strdup_printf ("That number does not match the one on the desktop (%s).",
                                  message);
        return g_strdup (sentences[i].sentence);
      }

  if (message != NULL && *message != '\0')
    return g_strdup_printf ("The server refused: %s", message);
  return g_strdup ("The server answered with an error.");
}

static gboolean
write_new_key (const char  *path,
               guint8       seed[32],
               GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *hex = NULL;
  g_autofree char *text = NULL;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot create %s: %s",
                   dir, g_strerror (errno));
      return FALSE;
    }

  randombytes_buf (seed, 32);
  hex = crossing_hex_encode (seed, 32);
  text = g_strconcat (hex, "\n", NULL);

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  sodium_memzero (hex, strlen (hex));
  sodium_memzero (text, strlen (text));
  close (fd);
  return TRUE;
}

gboolean
companion_approve_load_key (const char  *path,
                            guint8       seed[32],
                            GError     **error)
{
  g_autofree char *contents = NULL;
  GStatBuf st;
  gsize len;

  crossing_crypto_init ();

  if (g_stat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return write_new_key (path, seed, error);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot read %s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }

  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The key file %s can be read by others; run chmod 600 on it", path);
      return FALSE;
    }

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;

  g_strstrip (contents);
  if (!crossing_hex_decode (contents, seed, 32))
    {
      sodium_memzero (contents, len);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The key file %s is damaged (expected 64 hex digits)", path);
      return FALSE;
    }
  sodium_memzero (contents, len);
  return TRUE;
}

/* POSTs @body to {api}/@endpoint; on a non-2xx answer sets an error with
 * the human sentence for its code. */
static JsonObject *
post (Client      *client,
      const char  *endpoint,
      JsonBuilder *body,
      GError     **error)
{
  g_autofree char *url = g_strconcat (client->api, "/", endpoint, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
  g_autoptr(JsonNode) root = json_builder_get_root (body);
  char *text = json_to_string (root, FALSE);
  g_autoptr(GBytes) request = g_bytes_new_take (text, strlen (text));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *reply;
  JsonObject *object = NULL;
  const char *data;
  gsize len;

  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Bad URL %s", url);
      return NULL;
    }

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  response = soup_session_send_and_read (client->session, msg, NULL, &local_error);
  if (response == NULL)
    {
      if (local_error->domain == G_TLS_ERROR)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "The certificate of %s is not trusted: %s", client->origin,
                     local_error->message);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot reach the server at %s: %s",
                     client->origin, local_error->message);
      return NULL;
    }

  data = g_bytes_get_data (response, &len);
  if (len > 0 && json_parser_load_from_data (parser, data, len, NULL))
    {
      reply = json_parser_get_root (parser);
      if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply))
        object = json_object_ref (json_node_get_object (reply));
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      const char *code = object != NULL ? json_object_get_string_member_with_default (object, "code", NULL) : NULL;
      const char *message = object != NULL ? json_object_get_string_member_with_default (object, "message", NULL) : NULL;
      g_autofree char *sentence = companion_approve_describe_error (code, message);

      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, sentence);
      g_clear_pointer (&object, json_object_unref);
      return NULL;
    }

  if (object == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "The server at %s did not answer with JSON", client->origin);
  return object;
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static char *
prompt (const char *question)
{
  char line[128];

  g_print ("%s", question);
  fflush (stdout);
  if (fgets (line, sizeof line, stdin) == NULL)
    return NULL;
  return g_strstrip (g_strdup (line));
}

static void
print_context (JsonObject   *envelope,
               const char   *subject)
{
  JsonObject *display = json_object_get_member (envelope, "display") != NULL &&
                        JSON_NODE_HOLDS_OBJECT (json_object_get_member (envelope, "display"))
                        ? json_object_get_object_member (envelope, "display") : NULL;
  JsonObject *requester = json_object_get_member (envelope, "requester") != NULL &&
                          JSON_NODE_HOLDS_OBJECT (json_object_get_member (envelope, "requester"))
                          ? json_object_get_object_member (envelope, "requester") : NULL;
  gint64 expires = json_object_get_int_member_with_default (envelope, "expiresAt", 0);
  gint64 left = (expires - crossing_now_ms ()) / 1000;
  const char *app = member_string (envelope, "appName");

  g_print ("%s asks you to approve:\n", app != NULL ? app : "A desktop");
  if (display != NULL)
    {
      const char *title = member_string (display, "title");
      const char *summary = member_string (display, "summary");

      g_print ("  %s\n", title != NULL ? title : "");
      if (summary != NULL)
        g_print ("  %s\n", summary);
    }
  g_print ("  Origin:     %s\n", member_string (envelope, "origin") ?: "?");
  if (requester != NULL)
    g_print ("  Requested by %s (%s)\n", member_string (requester, "ip") ?: "?",
             member_string (requester, "userAgent") ?: "unknown browser");
  g_print ("  Time left:  %" G_GINT64_FORMAT " s\n", MAX (left, 0));
  g_print ("  You sign in as %s\n", subject);
}

static JsonBuilder *
order_body (const char *order_id,
            const char *token_name,
            const char *token)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "orderId");
  json_builder_add_string_value (b, order_id);
  json_builder_set_member_name (b, token_name);
  json_builder_add_string_value (b, token);
  return b;
}

int
companion_approve_main (int    argc,
                        char **argv)
{
  gboolean yes = FALSE, reject = FALSE;
  g_autofree char *check_code = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *base_path = NULL;
  g_autofree char *adapter_name = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingClaimUrl) link = NULL;
  g_autoptr(JsonObject) claimed = NULL;
  g_autoptr(JsonObject) envelope = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonBuilder) body = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;
  g_autofree char *user_agent = NULL;
  guint8 seed[32], public_key[32], secret_key[64];
  Client client = { 0, };
  CrossingAdapter adapter;
  const char *challenge_token, *message, *order_adapter;
  int status = EXIT_ERROR;
  GOptionEntry entries[] = {
    { "yes", 0, 0, G_OPTION_ARG_NONE, &yes, "Approve without asking", NULL },
    { "reject", 0, 0, G_OPTION_ARG_NONE, &reject, "Reject without asking", NULL },
    { "check-code", 0, 0, G_OPTION_ARG_STRING, &check_code, "The number the desktop shows", "NN" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key_path, "Device key file", "FILE" },
    { "base-path", 0, 0, G_OPTION_ARG_STRING, &base_path, "API path (default /api/auth)", "PATH" },
    { "adapter", 0, 0, G_OPTION_ARG_STRING, &adapter_name, "ed25519 or nimiq-pay (default: the order's)", "ID" },
    { NULL }
  };

  context = g_option_context_new ("CLAIM_URL - approve a sign-in from a terminal");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 || (yes && reject))
    {
      g_printerr ("crossing-companion approve: %s\n",
                  error != NULL ? error->message
                                : (yes && reject) ? "--yes and --reject exclude each other"
                                                  : "give exactly one claim link");
      return EXIT_ERROR;
    }

  link = crossing_claim_url_parse (argv[1], &error);
  if (link == NULL)
    {
      g_printerr ("crossing-companion approve: %s\n", error->message);
      return EXIT_ERROR;
    }

  if (key_path == NULL)
    key_path = g_build_filename (g_get_user_data_dir (), "crossing", "device-key", NULL);
  if (!companion_approve_load_key (key_path, seed, &error))
    {
      g_printerr ("crossing-companion approve: %s\n", error->message);
      return EXIT_ERROR;
    }
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  sodium_memzero (secret_key, sizeof secret_key);

  user_agent = g_strdup_printf ("crossing-companion-approve/%s", PACKAGE_VERSION);
  client.session = soup_session_new_with_options ("timeout", 15, "user-agent", user_agent, NULL);
  client.api = crossing_claim_url_api_base (link, base_path);
  client.origin = link->origin;

  body = order_body (link->order_id, "claimToken", link->claim_token);
  json_builder_end_object (body);
  claimed = post (&client, "claim", body, &error);
  g_clear_object (&body);
  challenge_token = claimed != NULL ? member_string (claimed, "challengeToken") : NULL;
  if (challenge_token == NULL)
    goto fail;

  body = order_body (link->order_id, "challengeToken", challenge_token);
  json_builder_end_object (body);
  envelope = post (&client, "challenge", body, &error);
  g_clear_object (&body);
  if (envelope == NULL)
    goto fail;

  message = member_string (envelope, "message");
  order_adapter = member_string (envelope, "adapterId");
  adapter = crossing_adapter_from_string (adapter_name != NULL ? adapter_name : order_adapter);
  if (message == NULL || adapter == CROSSING_ADAPTER_INVALID)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The server sent a challenge this program cannot sign");
      goto fail;
    }

  subject = crossing_proof_subject_for_key (adapter, public_key);
  print_context (envelope, subject);

  if (!reject && json_object_get_boolean_member_with_default (envelope, "checkCodeRequired", FALSE) &&
      check_code == NULL)
    {
      check_code = prompt ("Enter the number shown on the desktop: ");
      if (check_code == NULL)
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "No number was entered (use --check-code NN)");
          goto fail;
        }
    }

  if (!yes && !reject)
    {
      g_autofree char *reply = prompt ("Approve? [y/N] ");

      reject = reply == NULL || (g_ascii_strcasecmp (reply, "y") != 0 &&
                                 g_ascii_strcasecmp (reply, "yes") != 0);
    }

  if (reject)
    {
      body = order_body (link->order_id, "challengeToken", challenge_token);
      json_builder_end_object (body);
      answer = post (&client, "reject", body, &error);
      if (answer == NULL)
        goto fail;
      g_print ("Rejected. The desktop has been told.\n");
      status = EXIT_DECLINED;
      goto out;
    }

  crossing_proof_sign (adapter, message, seed, &public_key_hex, &signature_hex);
  body = order_body (link->order_id, "challengeToken", challenge_token);
  if (check_code != NULL)
    {
      json_builder_set_member_name (body, "checkCode");
      json_builder_add_string_value (body, check_code);
    }
  json_builder_set_member_name (body, "proof");
  json_builder_begin_object (body);
  json_builder_set_member_name (body, "publicKeyHex");
  json_builder_add_string_value (body, public_key_hex);
  json_builder_set_member_name (body, "signatureHex");
  json_builder_add_string_value (body, signature_hex);
  if (adapter == CROSSING_ADAPTER_NIMIQ_PAY)
    {
      json_builder_set_member_name (body, "address");
      json_builder_add_string_value (body, subject);
    }
  json_builder_end_object (body);
  json_builder_end_object (body);
  answer = post (&client, "approve", body, &error);
  if (answer == NULL)
    goto fail;

  g_print ("Approved. Return to your computer.\n");
  status = EXIT_APPROVED;
  goto out;

fail:
  g_printerr ("crossing-companion approve: %s\n",
              error != NULL ? error->message : "the server's answer was not understood");
out:
  sodium_memzero (seed, sizeof seed);
  g_clear_object (&client.session);
  g_free (client.api);
  return status;
}
