/* companion-approve.c: claims an order from its link and approves or
 * rejects it, as a phone would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything the server sends is treated as hostile: bodies are read up to a
 * bound, JSON is depth-checked before json-glib sees it, every member is
 * type-checked, and text bound for the terminal loses its control
 * characters. Tokens (the claim token in the link included) are never
 * printed or logged.
 */
#define G_LOG_DOMAIN "companion-approve"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crossing-claim-url.h"
#include "crossing-json.h"
#include "crossing-proof.h"
#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-approve.h"
#include "companion-config.h"

#define PREFIX               "crossing-companion approve"
#define REQUEST_TIMEOUT_S    15
#define MAX_REPLY_BYTES      (64 * 1024)
#define MAX_REPLY_DEPTH      32
#define KEY_FILE_MAX_BYTES   256
#define KEY_HEX_CHARS        (2 * CROSSING_ED25519_SEED_BYTES)
#define MAX_CHECK_CODE_CHARS 8
/* The server rejects the order at the third wrong check code. */
#define COMPANION_APPROVE_CHECK_CODE_TRIES 3u
/* How long a prompt waits when the order names no usable expiry. */
#define MAX_PROMPT_WAIT_MS   (10 * 60 * 1000)

typedef struct {
  SoupSession *session;
  char        *api;
  const char  *origin;
} Client;

/* Text from the server goes to a terminal: drop what could move the cursor,
 * recolour it or reorder the line (C0 and C1 controls, bidi controls), and
 * bound its length. */
static char *
printable (const char *text,
           gsize       max_chars)
{
  g_autofree char *valid = NULL;
  GString *out;
  gsize n = 0;

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (n == max_chars)
        {
          g_string_append (out, "…");
          break;
        }
      if (c == '\t' || c == '\n' || c == '\r')
        g_string_append_c (out, ' ');
      else if (crossing_unichar_is_control (c) || (c >= 0x80 && c < 0xa0) || c == 0x061c ||
               c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
               (c >= 0x2066 && c <= 0x2069))
        g_string_append_unichar (out, 0xfffd);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

char *
companion_approve_describe_error (const char *code,
                                  const char *message)
{
  static const struct {
    const char *code;
    const char *sentence;
  } sentences[] = {
    { "ORDER_EXPIRED", "This sign-in request has expired. Start a new one on the desktop." },
    { "EXPIRED", "This sign-in request has expired. Start a new one on the desktop." },
    { "ALREADY_CLAIMED", "Another device has already scanned this code." },
    { "CHECK_CODE_MISMATCH", "That number does not match the one on the desktop. "
                             "Three wrong numbers cancel the request." },
    { "INVALID_CLAIM_TOKEN", "This link is not valid (it may have been mistyped)." },
    { "UNABLE_TO_RESOLVE_APPROVED_LOGIN", "This key is not allowed to sign in on this server." },
    { "INVALID_CHALLENGE_TOKEN", "The server no longer accepts this device for this request. "
                                 "Start a new one on the desktop." },
    { "ORDER_NOT_FOUND", "This sign-in request does not exist on the server." },
    { "NOT_READY_TO_APPROVE", "This sign-in request is no longer waiting for approval "
                              "(it may have been cancelled on the desktop)." },
    { "NOT_READY_TO_REJECT", "This sign-in request is no longer waiting for approval "
                             "(it may have been cancelled on the desktop)." },
    { "TRANSITION_CONFLICT", "This sign-in request has already ended "
                             "(it may have been cancelled on the desktop)." },
    { "INVALID_PROOF", "The server did not accept this device's signature." },
    { "UNSUPPORTED_ADAPTER", "The server does not accept this kind of key." },
    { "NOT_FOUND", "There is no Crossing sign-in service at this address (check --base-path)." },
    { "RATE_LIMITED", "The server is busy. Try again in a moment." },
    { "INVALID_USER_CODE", "That code is not valid: it may be mistyped, already used or "
                           "expired. Check the code shown on the desktop." },
    { "SUBJECT_MISMATCH", "Only another key can approve this request: this device's key is "
                          "not the one the request names." },
  };

  if (code != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
      if (g_ascii_strcasecmp (code, sentences[i].code) == 0)
        return g_strdup (sentences[i].sentence);

  if (message != NULL && *message != '\0')
    return printable (message, 300);
  if (code != NULL && *code != '\0')
    {
      g_autofree char *safe_code = printable (code, 64);

      return g_strdup_printf ("The server refused the request (%s).", safe_code);
    }
  return g_strdup ("The server refused the request.");
}

char *
companion_approve_format_time_left (gint64 ms)
{
  gint64 seconds;

  if (ms <= 0)
    return g_strdup ("expired");

  seconds = ms / 1000 + (ms % 1000 != 0);
  if (seconds < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", seconds);
  if (seconds < 60 * 60)
    {
      if (seconds % 60 == 0)
        return g_strdup_printf ("%" G_GINT64_FORMAT " min", seconds / 60);
      return g_strdup_printf ("%" G_GINT64_FORMAT " min %" G_GINT64_FORMAT " s", seconds / 60,
                              seconds % 60);
    }
  return g_strdup ("more than an hour");
}

/* The key file ------------------------------------------------------------ */

typedef enum {
  CREATE_FAILED,
  CREATE_DONE,
  CREATE_LOST_RACE,   /* someone else created it first: read theirs */
} CreateResult;

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* 64 hex digits, then nothing but white space. */
static gboolean
parse_key_text (const char *text,
                gsize       len,
                guint8      seed[CROSSING_ED25519_SEED_BYTES])
{
  char hex[KEY_HEX_CHARS + 1];
  gboolean ok;

  if (len < KEY_HEX_CHARS)
    return FALSE;
  for (gsize i = KEY_HEX_CHARS; i < len; i++)
    if (!g_ascii_isspace (text[i]))
      return FALSE;

  memcpy (hex, text, KEY_HEX_CHARS);
  hex[KEY_HEX_CHARS] = '\0';
  ok = crossing_hex_decode (hex, seed, CROSSING_ED25519_SEED_BYTES);
  sodium_memzero (hex, sizeof hex);
  return ok;
}

static gboolean
read_key (int          fd,
          const char  *path,
          guint8       seed[CROSSING_ED25519_SEED_BYTES],
          GError     **error)
{
  char text[KEY_FILE_MAX_BYTES + 1];
  struct stat st;
  gsize len = 0;
  gboolean ok;

  if (fstat (fd, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot read the key file %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "The key file %s is not a regular file", path);
      return FALSE;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The key file %s can be read or changed by other users (mode %04o), so it "
                   "may no longer be secret. Make it private with: chmod 600 %s",
                   path, (unsigned) (st.st_mode & 07777), path);
      return FALSE;
    }

  while (len < sizeof text)
    {
      ssize_t n = read (fd, text + len, sizeof text - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          sodium_memzero (text, sizeof text);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot read the key file %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }

  ok = len <= KEY_FILE_MAX_BYTES && parse_key_text (text, len, seed);
  sodium_memzero (text, sizeof text);
  if (!ok)
    {
      sodium_memzero (seed, CROSSING_ED25519_SEED_BYTES);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The key file %s is damaged: it should hold 64 hexadecimal digits. Move it "
                   "away to start over with a new key (servers will see a new device)", path);
    }
  return ok;
}

/* Writes the new key beside @path and hard-links it into place, so a reader
 * never sees half a key and two first runs cannot both win. */
static CreateResult
create_key (const char  *path,
            guint8       seed[CROSSING_ED25519_SEED_BYTES],
            GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = NULL;
  char text[KEY_HEX_CHARS + 2];
  gboolean ok;
  int fd, saved;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the folder %s for the device key: %s", dir, g_strerror (saved));
      return CREATE_FAILED;
    }

  tmp = g_strconcat (path, ".new-XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the key file %s: %s", path, g_strerror (saved));
      return CREATE_FAILED;
    }

  randombytes_buf (seed, CROSSING_ED25519_SEED_BYTES);
  sodium_bin2hex (text, KEY_HEX_CHARS + 1, seed, CROSSING_ED25519_SEED_BYTES);
  text[KEY_HEX_CHARS] = '\n';
  text[KEY_HEX_CHARS + 1] = '\0';
  ok = write_all (fd, text, KEY_HEX_CHARS + 1) && fsync (fd) == 0;
  saved = errno;
  sodium_memzero (text, sizeof text);
  if (close (fd) != 0 && ok)
    {
      ok = FALSE;
      saved = errno;
    }

  if (ok && link (tmp, path) == 0)
    {
      g_unlink (tmp);
      return CREATE_DONE;
    }
  if (ok && errno == EEXIST)
    {
      g_unlink (tmp);
      sodium_memzero (seed, CROSSING_ED25519_SEED_BYTES);
      return CREATE_LOST_RACE;
    }
  /* No hard links on this file system: a rename is the next best thing. */
  if (ok && g_rename (tmp, path) == 0)
    return CREATE_DONE;
  if (ok)
    saved = errno;

  g_unlink (tmp);
  sodium_memzero (seed, CROSSING_ED25519_SEED_BYTES);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot write the key file %s: %s", path, g_strerror (saved));
  return CREATE_FAILED;
}

gboolean
companion_approve_load_key (const char  *path,
                            guint8       seed[32],
                            gboolean    *out_created,
                            GError     **error)
{
  g_return_val_if_fail (path != NULL && *path != '\0', FALSE);
  g_return_val_if_fail (seed != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  crossing_crypto_init ();
  if (out_created != NULL)
    *out_created = FALSE;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      /* O_NONBLOCK: a FIFO put in the key's place must not hang us. */
      int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
      int saved = errno;
      gboolean ok;

      if (fd >= 0)
        {
          ok = read_key (fd, path, seed, error);
          close (fd);
          return ok;
        }
      if (saved != ENOENT)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot open the key file %s: %s", path, g_strerror (saved));
          return FALSE;
        }

      switch (create_key (path, seed, error))
        {
        case CREATE_DONE:
          if (out_created != NULL)
            *out_created = TRUE;
          return TRUE;
        case CREATE_FAILED:
          return FALSE;
        case CREATE_LOST_RACE:
        default:
          break;
        }
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
               "The key file %s keeps appearing and disappearing", path);
  return FALSE;
}

/* Answers from the server ------------------------------------------------- */

JsonObject *
companion_approve_parse_reply (const char  *data,
                               gsize        len,
                               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer is empty");
      return NULL;
    }
  if (len > MAX_REPLY_BYTES)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer is too large");
      return NULL;
    }
  /* json-glib recurses per level and takes much that is not JSON. */
  if (memchr (data, '\0', len) != NULL || !crossing_json_is_strict (data, len, MAX_REPLY_DEPTH))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer is not JSON");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer is not JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the answer is not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static gboolean
member_is_true (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

/* An integer member; a double is accepted when it fits. */
static gboolean
member_int64 (JsonObject *object,
              const char *name,
              gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);
  double d;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return FALSE;
  d = json_node_get_double (node);
  if (!(d > -9.0e18 && d < 9.0e18))
    return FALSE;
  *out = (gint64) d;
  return TRUE;
}

/* HTTP -------------------------------------------------------------------- */

static void
set_transport_error (GError       **error,
                     const char    *origin,
                     const GError  *cause)
{
  if (g_error_matches (cause, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "The certificate of %s is not trusted, so this program will not send it "
                 "anything (%s)", origin, cause->message);
  else if (cause->domain == G_TLS_ERROR)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "Cannot set up a secure connection to %s: %s", origin, cause->message);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "Cannot reach the server at %s: it did not answer within %d seconds", origin,
                 REQUEST_TIMEOUT_S);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot reach the server at %s: %s",
                 origin, cause->message);
}

/* Reads the whole body, but no more than MAX_REPLY_BYTES and for no longer
 * than REQUEST_TIMEOUT_S: a server that drips bytes must not hold us. */
static GBytes *
read_reply (GInputStream  *stream,
            GError       **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  gint64 deadline = g_get_monotonic_time () + REQUEST_TIMEOUT_S * G_USEC_PER_SEC;
  guint8 chunk[8192];

  for (;;)
    {
      gssize n = g_input_stream_read (stream, chunk, sizeof chunk, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (bytes->len + (gsize) n > MAX_REPLY_BYTES)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "the answer is too large");
          return NULL;
        }
      g_byte_array_append (bytes, chunk, (guint) n);
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "the answer took too long");
          return NULL;
        }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

/* POSTs @builder's object to {api}/@endpoint. Returns the answer's object,
 * or sets an error a person understands; @out_code (nullable) receives the
 * contract's error code of a refusal. */
static JsonObject *
post_with_code (Client       *client,
                const char   *endpoint,
                JsonBuilder  *builder,
                char        **out_code,
                GError      **error)
{
  g_autofree char *url = g_strconcat (client->api, "/", endpoint, NULL);
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *sentence = NULL;
  char *text;
  const char *data;
  gsize len;
  guint status;

  msg = soup_message_new (SOUP_METHOD_POST, url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Cannot address the server at %s (check --base-path)", client->origin);
      return NULL;
    }
  /* A redirect would carry our tokens to wherever the server points. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  text = json_to_string (root, FALSE);
  /* The message takes its own reference to the body. */
  body = g_bytes_new_take (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);

  g_debug ("POST %s", endpoint);
  stream = soup_session_send (client->session, msg, NULL, &local_error);
  if (stream == NULL)
    {
      set_transport_error (error, client->origin, local_error);
      return NULL;
    }
  reply = read_reply (stream, &local_error);
  if (reply == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The server at %s sent an answer this program cannot read (%s)",
                   client->origin, local_error->message);
      return NULL;
    }

  status = soup_message_get_status (msg);
  data = g_bytes_get_data (reply, &len);
  g_debug ("POST %s: HTTP %u, %" G_GSIZE_FORMAT " bytes", endpoint, status, len);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      object = companion_approve_parse_reply (data, len, &local_error);
      if (object == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "The server at %s sent an answer this program does not understand (%s)",
                     client->origin, local_error->message);
      return g_steal_pointer (&object);
    }

  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The server at %s sent the request elsewhere (HTTP %u); check the link and "
                   "--base-path", client->origin, status);
      return NULL;
    }

  object = companion_approve_parse_reply (data, len, NULL);
  if (member_string (object, "code") == NULL && member_string (object, "message") == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The server at %s answered HTTP %u",
                   client->origin, status);
      return NULL;
    }
  sentence = companion_approve_describe_error (member_string (object, "code"),
                                               member_string (object, "message"));
  if (out_code != NULL)
    *out_code = g_strdup (member_string (object, "code"));
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, sentence);
  return NULL;
}

static JsonObject *
post (Client       *client,
      const char   *endpoint,
      JsonBuilder  *builder,
      GError      **error)
{
  return post_with_code (client, endpoint, builder, NULL, error);
}

/* Talking to the person ---------------------------------------------------- */

/* Reads one line from standard input, byte by byte so nothing after it is
 * consumed, and waits no longer than @deadline_ms (wall clock). Returns NULL
 * with no error at the end of input. */
static char *
read_answer (gint64    deadline_ms,
             GError  **error)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (;;)
    {
      struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
      gint64 wait = deadline_ms - crossing_now_ms ();
      char c;
      ssize_t n;
      int ready;

      if (wait <= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "No answer came before the request expired");
          return NULL;
        }
      ready = poll (&pfd, 1, (int) MIN (wait, 1000));
      if (ready < 0 && errno != EINTR)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot read standard input: %s", g_strerror (saved));
          return NULL;
        }
      if (ready <= 0)
        continue;

      n = read (STDIN_FILENO, &c, 1);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot read standard input: %s", g_strerror (saved));
          return NULL;
        }
      if (n == 0 && line->len == 0)
        return NULL;
      if (n == 0 || c == '\n')
        break;
      if (line->len < 64)
        g_string_append_c (line, c);
    }
  return g_strstrip (g_string_free (g_steal_pointer (&line), FALSE));
}

static char *
ask (const char  *question,
     gint64       deadline_ms,
     GError     **error)
{
  char *answer;

  g_print ("%s", question);
  fflush (stdout);
  answer = read_answer (deadline_ms, error);
  /* A terminal echoes the line end; piped answers would run the lines together. */
  if (!isatty (STDIN_FILENO))
    g_print ("\n");
  return answer;
}

static gboolean
is_check_code (const char *text)
{
  gsize len = strlen (text);

  if (len == 0 || len > MAX_CHECK_CODE_CHARS)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

static char *
ask_check_code (gint64    deadline_ms,
                GError  **error)
{
  for (;;)
    {
      g_autofree char *answer = ask ("Enter the number shown on the desktop: ", deadline_ms, error);

      if (answer == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 "No number was given (standard input is closed). Pass "
                                 "--check-code NN with the number shown on the desktop");
          return NULL;
        }
      if (is_check_code (answer))
        return g_steal_pointer (&answer);
      if (!isatty (STDIN_FILENO))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The number shown on the desktop is made of digits only");
          return NULL;
        }
      g_print ("Type the digits shown on the desktop.\n");
    }
}

/* TRUE for yes; FALSE with no error for no. */
static gboolean
ask_approval (gint64    deadline_ms,
              GError  **error)
{
  g_autofree char *answer = ask ("Approve? [y/N] ", deadline_ms, error);

  if (answer == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "No answer was given (standard input is closed). Pass --yes or "
                             "--reject");
      return FALSE;
    }
  return g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0;
}

static void
print_field (const char *label,
             const char *value,
             gsize       max_chars)
{
  g_autofree char *safe = NULL;

  if (value == NULL || *value == '\0')
    return;
  safe = printable (value, max_chars);
  g_print ("  %-14s %s\n", label, safe);
}

/* Where the desktop is, as the companion estimates it: "on this computer",
 * "on your local network", "approximately Berlin, Germany", or NULL. */
static char *
describe_place (JsonObject *requester)
{
  const char *network = member_string (requester, "network");
  JsonObject *location = member_object (requester, "location");
  const char *city = member_string (location, "city");
  const char *country = member_string (location, "countryName");

  if (g_strcmp0 (network, "loopback") == 0)
    return g_strdup ("on this computer");
  if (g_strcmp0 (network, "private") == 0)
    return g_strdup ("on your local network");
  if (country == NULL)
    country = member_string (location, "country");
  if (city != NULL && country != NULL)
    return g_strdup_printf ("approximately %s, %s", city, country);
  if (city != NULL || country != NULL)
    return g_strdup_printf ("approximately %s", city != NULL ? city : country);
  return NULL;
}

char *
companion_approve_format_amount (const char *amount,
                                 const char *asset,
                                 const char *scale)
{
  g_autofree char *safe_asset = NULL;
  g_autofree char *digits = NULL;
  guint64 decimals = 0;
  gsize len;

  if (amount == NULL || *amount == '\0' || strlen (amount) > 16 ||
      strspn (amount, "0123456789") != strlen (amount))
    return NULL;
  if (scale != NULL &&
      !g_ascii_string_to_unsigned (scale, 10, 0, 18, &decimals, NULL))
    return NULL;

  /* At least one digit before the point. */
  len = strlen (amount);
  if (len <= decimals)
    {
      g_autofree char *zeros = g_strnfill (decimals + 1 - len, '0');

      digits = g_strconcat (zeros, amount, NULL);
    }
  else
    digits = g_strdup (amount);
  len = strlen (digits);
  if (asset != NULL && *asset != '\0')
    safe_asset = printable (asset, 32);
  if (decimals == 0)
    return safe_asset != NULL ? g_strdup_printf ("%s %s", digits, safe_asset)
           : g_steal_pointer (&digits);
  return g_strdup_printf ("%.*s.%s%s%s", (int) (len - decimals), digits, digits + len - decimals,
                          safe_asset != NULL ? " " : "", safe_asset != NULL ? safe_asset : "");
}

/* The details the person has not seen elsewhere on the screen: a start's
 * custom context, a ledger order's amount. */
static gboolean
is_shown_elsewhere (const char *key)
{
  return g_str_equal (key, "kind") || g_str_equal (key, "orderId") ||
         g_str_equal (key, "summary") || g_str_equal (key, "title") ||
         g_str_equal (key, "subject");
}

static void
print_details (JsonObject *details)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  gboolean first = TRUE;

  if (details == NULL)
    return;
  json_object_iter_init (&iter, details);
  while (json_object_iter_next (&iter, &key, &value))
    {
      g_autofree char *line = NULL;

      if (is_shown_elsewhere (key) || !JSON_NODE_HOLDS_VALUE (value) ||
          json_node_get_value_type (value) != G_TYPE_STRING)
        continue;
      line = g_strdup_printf ("%s: %s", key, json_node_get_string (value));
      print_field (first ? "Details:" : "", line, 240);
      first = FALSE;
    }
}

static void
print_context (JsonObject   *envelope,
               CrossingKind  kind,
               const char   *subject,
               gint64        time_left_ms)     /* -1: unknown */
{
  JsonObject *display = member_object (envelope, "display");
  JsonObject *requester = member_object (envelope, "requester");
  g_autofree char *app = printable (member_string (envelope, "appName"), 80);
  g_autofree char *time_left = NULL;
  g_autofree char *device = NULL;
  g_autofree char *place = describe_place (requester);
  g_autofree char *from = NULL;
  g_autofree char *shown = crossing_subject_short_form (subject);
  const char *ip = member_string (requester, "ip");
  const char *user_agent = member_string (requester, "userAgent");
  const char *only = member_string (envelope, "subject");

  if (time_left_ms >= 0)
    time_left = companion_approve_format_time_left (time_left_ms);

  g_print ("\n%s asks for your approval:\n", *app != '\0' ? app : "An application");
  /* issue 12: what a transaction charges comes first. */
  if (kind == CROSSING_KIND_TRANSACTION)
    {
      JsonObject *details = member_object (envelope, "details");
      g_autofree char *charge =
        companion_approve_format_amount (member_string (details, "amount"),
                                         member_string (details, "asset"),
                                         member_string (details, "scale"));

      if (charge != NULL)
        g_print ("\n  %-14s %s\n\n", "AMOUNT:", charge);
    }
  print_field ("Title:", member_string (display, "title"), CROSSING_MAX_TITLE_CHARS);
  print_field ("Summary:", member_string (display, "summary"), CROSSING_MAX_SUMMARY_CHARS);
  print_field ("Website:", member_string (envelope, "origin"), 200);
  /* The companion's estimate, never signed: said as one. */
  if (member_string (requester, "device") != NULL)
    device = g_strdup (member_string (requester, "device"));
  else if (user_agent != NULL && *user_agent != '\0')
    device = g_strdup_printf ("unknown (%s)", user_agent);
  print_field ("Device:", device, 240);
  if (place != NULL && ip != NULL && *ip != '\0')
    from = g_strdup_printf ("%s (%s)", place, ip);
  else
    from = g_strdup (place != NULL ? place : ip);
  print_field ("From:", from, 240);
  print_details (member_object (envelope, "details"));
  print_field ("Payload hash:", member_string (envelope, "payloadHash"), 200);
  print_field ("Time left:", time_left, 40);
  if (only != NULL)
    {
      g_autofree char *only_shown = crossing_subject_short_form (only);
      g_autofree char *sentence = g_strdup_printf ("Only %s can approve", only_shown);

      print_field ("Signer:", sentence, 200);
    }
  print_field (kind == CROSSING_KIND_LOGIN ? "Signing in as:" : "Signing as:", shown, 200);
  g_print ("\n");
}

/* The steps --------------------------------------------------------------- */

static JsonBuilder *
begin_request (const char *order_id,
               const char *token_name,
               const char *token)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderId");
  json_builder_add_string_value (builder, order_id);
  json_builder_set_member_name (builder, token_name);
  json_builder_add_string_value (builder, token);
  return builder;
}

/* TRUE when @message has the line "@label: @value". */
static gboolean
message_has_line (const char *message,
                  const char *label,
                  const char *value)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", label, value);
  gsize line_len = strlen (line);

  for (const char *p = message;; p++)
    {
      if (strncmp (p, line, line_len) == 0 && (p[line_len] == '\n' || p[line_len] == '\0'))
        return TRUE;
      p = strchr (p, '\n');
      if (p == NULL)
        return FALSE;
    }
}

/* Every detail, the subject and the payload hash we print are lines of the
 * message we sign. */
static gboolean
signs_what_is_shown (JsonObject *envelope,
                     const char *message)
{
  JsonObject *details = member_object (envelope, "details");
  const char *subject = member_string (envelope, "subject");
  const char *payload_hash = member_string (envelope, "payloadHash");
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (subject != NULL && !message_has_line (message, "subject", subject))
    return FALSE;
  if (payload_hash != NULL && !message_has_line (message, "Payload Hash", payload_hash))
    return FALSE;
  if (details == NULL)
    return TRUE;
  json_object_iter_init (&iter, details);
  while (json_object_iter_next (&iter, &key, &value))
    if (!is_shown_elsewhere (key) && JSON_NODE_HOLDS_VALUE (value) &&
        json_node_get_value_type (value) == G_TYPE_STRING &&
        !message_has_line (message, key, json_node_get_string (value)))
      return FALSE;
  return TRUE;
}

/* The envelope must describe the order we claimed, and what we show the
 * person must be what we sign. */
static gboolean
check_envelope (JsonObject  *envelope,
                const char  *order_id,
                GError     **error)
{
  const char *envelope_order = member_string (envelope, "orderId");
  const char *message = member_string (envelope, "message");
  const char *origin = member_string (envelope, "origin");

  if (message == NULL || origin == NULL ||
      (envelope_order != NULL && strcmp (envelope_order, order_id) != 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The server sent a request this program does not understand");
      return FALSE;
    }
  if (!message_has_line (message, "Origin", origin) ||
      !message_has_line (message, "Request ID", order_id) ||
      !signs_what_is_shown (envelope, message))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The text the server asks this device to sign does not match the "
                           "request it describes; refusing to sign it");
      return FALSE;
    }
  return TRUE;
}

static gboolean
base_path_is_valid (const char *path)
{
  if (path[0] != '/' || strlen (path) > 200)
    return FALSE;
  for (const char *p = path; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || strchr ("/-._~", *p) != NULL))
      return FALSE;
  return TRUE;
}

static gboolean
is_loopback_origin (const char *origin)
{
  return g_str_has_prefix (origin, "http://localhost") ||
         g_str_has_prefix (origin, "http://127.") ||
         g_str_has_prefix (origin, "http://[::1]");
}

static int
usage_error (const char *message)
{
  g_printerr ("%s: %s\nRun 'crossing-companion approve --help' to see its options.\n", PREFIX,
              message);
  return COMPANION_APPROVE_EXIT_ERROR;
}

static int
report_error (const GError *error)
{
  gboolean has_stop = g_str_has_suffix (error->message, ".");

  g_printerr ("%s: %s%s\n", PREFIX, error->message, has_stop ? "" : ".");
  return COMPANION_APPROVE_EXIT_ERROR;
}

/* Claims the order and fetches its challenge. */
static JsonObject *
claim_and_challenge (Client                  *client,
                     const CrossingClaimUrl  *link,
                     char                   **out_challenge_token,
                     GError                 **error)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonObject) claimed = NULL;
  g_autoptr(JsonObject) envelope = NULL;
  const char *challenge_token;

  builder = begin_request (link->order_id, "claimToken", link->claim_token);
  json_builder_end_object (builder);
  claimed = post (client, "claim", builder, error);
  if (claimed == NULL)
    return NULL;

  challenge_token = member_string (claimed, "challengeToken");
  if (challenge_token == NULL || !crossing_token_is_well_formed (challenge_token))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The server at %s sent an answer this program does not understand "
                   "(no usable challenge token)", client->origin);
      return NULL;
    }

  g_clear_object (&builder);
  builder = begin_request (link->order_id, "challengeToken", challenge_token);
  json_builder_end_object (builder);
  envelope = post (client, "challenge", builder, error);
  if (envelope == NULL)
    return NULL;

  *out_challenge_token = g_strdup (challenge_token);
  return g_steal_pointer (&envelope);
}

/* Claims by the code the desktop shows, then fetches the challenge: the
 * order ID comes from the answer. */
static JsonObject *
claim_by_code_and_challenge (Client       *client,
                             const char   *user_code,
                             char        **out_order_id,
                             char        **out_challenge_token,
                             GError      **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonObject) claimed = NULL;
  g_autoptr(JsonObject) envelope = NULL;
  const char *order_id;
  const char *challenge_token;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "userCode");
  json_builder_add_string_value (builder, user_code);
  json_builder_end_object (builder);
  claimed = post (client, "claim-by-code", builder, error);
  if (claimed == NULL)
    return NULL;

  order_id = member_string (claimed, "orderId");
  challenge_token = member_string (claimed, "challengeToken");
  if (order_id == NULL || !crossing_token_is_well_formed (order_id) ||
      challenge_token == NULL || !crossing_token_is_well_formed (challenge_token))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The server at %s sent an answer this program does not understand "
                   "(no usable order or challenge token)", client->origin);
      return NULL;
    }

  g_clear_object (&builder);
  builder = begin_request (order_id, "challengeToken", challenge_token);
  json_builder_end_object (builder);
  envelope = post (client, "challenge", builder, error);
  if (envelope == NULL)
    return NULL;

  *out_order_id = g_strdup (order_id);
  *out_challenge_token = g_strdup (challenge_token);
  return g_steal_pointer (&envelope);
}

/* --server URL: the companion's public URL, or the page the desktop names
 * ({publicUrl}/cross-device/code), as an origin and a path prefix. */
static CrossingClaimUrl *
parse_server (const char  *url,
              GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) origin = NULL;
  g_autoptr(CrossingClaimUrl) server = NULL;
  g_autofree char *path = NULL;
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  gsize len;

  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL || !base_path_is_valid (*g_uri_get_path (uri) != '\0'
                                                               ? g_uri_get_path (uri) : "/"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "--server takes the server's address, such as https://example.org");
      return NULL;
    }

  origin = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (uri),
                        g_uri_get_port (uri), "", NULL, NULL);
  path = g_strdup (g_uri_get_path (uri));
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    path[--len] = '\0';
  if (g_str_has_suffix (path, CROSSING_CROSS_DEVICE_PREFIX "/code"))
    path[len - strlen (CROSSING_CROSS_DEVICE_PREFIX "/code")] = '\0';

  server = g_new0 (CrossingClaimUrl, 1);
  server->origin = g_uri_to_string (origin);
  server->prefix = g_steal_pointer (&path);
  return g_steal_pointer (&server);
}

/* Checks that a 2xx answer says what we asked for. */
static gboolean
check_outcome (JsonObject  *answer,
               const char  *expected_status,
               GError     **error)
{
  const char *status = member_string (answer, "status");
  g_autofree char *safe = NULL;

  if (status == NULL || strcmp (status, expected_status) == 0)
    return TRUE;

  if (strcmp (status, "expired") == 0)
    {
      g_autofree char *sentence = companion_approve_describe_error ("expired", NULL);

      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, sentence);
      return FALSE;
    }
  safe = printable (status, 40);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "The server did not confirm: the request is now '%s'", safe);
  return FALSE;
}

static gboolean
send_reject (Client      *client,
             const char  *order_id,
             const char  *challenge_token,
             GError     **error)
{
  g_autoptr(JsonBuilder) builder = begin_request (order_id, "challengeToken", challenge_token);
  g_autoptr(JsonObject) answer = NULL;

  json_builder_end_object (builder);
  answer = post (client, "reject", builder, error);
  return answer != NULL && check_outcome (answer, "rejected", error);
}

static gboolean
send_approve (Client          *client,
              const char      *order_id,
              const char      *challenge_token,
              const char      *check_code,
              CrossingAdapter  adapter,
              const char      *message,
              const char      *subject,
              const guint8     seed[CROSSING_ED25519_SEED_BYTES],
              char           **out_code,
              GError         **error)
{
  g_autoptr(JsonBuilder) builder = begin_request (order_id, "challengeToken", challenge_token);
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;

  crossing_proof_sign (adapter, message, seed, &public_key_hex, &signature_hex);

  if (check_code != NULL)
    {
      json_builder_set_member_name (builder, "checkCode");
      json_builder_add_string_value (builder, check_code);
    }
  json_builder_set_member_name (builder, "proof");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "publicKeyHex");
  json_builder_add_string_value (builder, public_key_hex);
  json_builder_set_member_name (builder, "signatureHex");
  json_builder_add_string_value (builder, signature_hex);
  if (adapter == CROSSING_ADAPTER_NIMIQ_PAY)
    {
      json_builder_set_member_name (builder, "address");
      json_builder_add_string_value (builder, subject);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  answer = post_with_code (client, "approve", builder, out_code, error);
  return answer != NULL && check_outcome (answer, "approved", error);
}

int
companion_approve_main (int    argc,
                        char **argv)
{
  gboolean yes = FALSE, reject = FALSE, created = FALSE, approve, asked_code = FALSE;
  g_autofree char *check_code = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *base_path = NULL;
  g_autofree char *adapter_name = NULL;
  g_autofree char *user_agent = NULL;
  g_autofree char *challenge_token = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *user_code = NULL;
  g_autofree char *server_url = NULL;
  g_autofree char *order_id = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingClaimUrl) link = NULL;
  g_autoptr(JsonObject) envelope = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *api = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  guint8 public_key[CROSSING_ED25519_PUBLIC_KEY_BYTES];
  guint8 secret_key[CROSSING_ED25519_SECRET_KEY_BYTES];
  CrossingAdapter adapter = CROSSING_ADAPTER_INVALID, order_adapter;
  const char *order_adapter_name;
  const char *only;
  gint64 expires_at, now, time_left_ms, deadline_ms;
  Client client;
  int status = COMPANION_APPROVE_EXIT_ERROR;
  GOptionEntry entries[] = {
    { "yes", 0, 0, G_OPTION_ARG_NONE, &yes, "Approve without asking (a flag)", NULL },
    { "reject", 0, 0, G_OPTION_ARG_NONE, &reject, "Reject without asking (a flag)", NULL },
    { "check-code", 0, 0, G_OPTION_ARG_STRING, &check_code,
      "The number shown on the desktop (default: ask when the request needs it)", "NN" },
    { "code", 0, 0, G_OPTION_ARG_STRING, &user_code,
      "Claim by the code the desktop shows instead of a link, with --server "
      "(default: none, give CLAIM_URL)", "WDJB-MJHT" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server_url,
      "The server to claim --code on: its address, or the code page the desktop names "
      "(default: none)", "URL" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key_path,
      "The device key (default: $XDG_DATA_HOME/crossing/device-key)", "PATH" },
    { "base-path", 0, 0, G_OPTION_ARG_STRING, &base_path,
      "Where the server's API lives (default: " CROSSING_DEFAULT_BASE_PATH ")", "PATH" },
    { "adapter", 0, 0, G_OPTION_ARG_STRING, &adapter_name,
      "Sign as ed25519 or nimiq-pay (default: what the request asks for)", "ed25519|nimiq-pay" },
    COMPANION_VERSION_ENTRY,
    { NULL }
  };

  context = g_option_context_new ("[CLAIM_URL]");
  g_option_context_set_summary (context,
                                "Approve or reject a sign-in from a terminal, as a phone would:\n"
                                "CLAIM_URL is the link in the QR code the desktop shows; or\n"
                                "type the desktop's code with --code WDJB-MJHT --server URL.");
  g_option_context_set_description (context,
                                    "Exit status: 0 approved, 1 rejected or declined, 2 error.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  if (user_code != NULL || server_url != NULL)
    {
      if (user_code == NULL || server_url == NULL)
        return usage_error ("--code and --server go together");
      if (argc != 1)
        return usage_error ("Give a claim link or --code, not both");
    }
  else if (argc != 2)
    return usage_error ("Give exactly one claim link");
  if (yes && reject)
    return usage_error ("--yes and --reject cannot be used together");
  if (check_code != NULL && !is_check_code (check_code))
    return usage_error ("--check-code takes the number shown on the desktop, e.g. --check-code 42");
  if (adapter_name != NULL)
    {
      adapter = crossing_adapter_from_string (adapter_name);
      if (!crossing_adapter_signs_with_key (adapter))
        return usage_error ("--adapter takes ed25519 or nimiq-pay");
    }
  if (base_path != NULL)
    {
      if (!base_path_is_valid (base_path))
        return usage_error ("--base-path takes a path such as /api/auth");
      while (g_str_has_suffix (base_path, "/"))
        base_path[strlen (base_path) - 1] = '\0';
    }

  /* The code is checked by the server (one answer for every wrong one);
   * only what cannot be a code is refused here. */
  if (user_code != NULL && (strlen (user_code) > 32 || !crossing_string_is_clean (user_code)))
    return usage_error ("--code takes the code shown on the desktop, e.g. --code WDJB-MJHT");
  link = user_code != NULL ? parse_server (server_url, &error)
                           : crossing_claim_url_parse (argv[1], &error);
  if (link == NULL)
    return report_error (error);

  if (key_path == NULL)
    key_path = g_build_filename (g_get_user_data_dir (), "crossing", "device-key", NULL);
  if (!companion_approve_load_key (key_path, seed, &created, &error))
    return report_error (error);
  if (created)
    g_print ("Created a new device key in %s\n", key_path);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  sodium_memzero (secret_key, sizeof secret_key);

  if (g_str_has_prefix (link->origin, "http://") && !is_loopback_origin (link->origin))
    g_printerr ("%s: note: this %s uses plain http; others on the network can see and "
                "take over this request\n", PREFIX, user_code != NULL ? "server" : "link");
  /* The code claims the order: like the link's token, never printed. */
  if (user_code != NULL)
    g_print ("Contacting %s\n", link->origin);
  else
    g_print ("Contacting %s (request %s)\n", link->origin, link->order_id);

  user_agent = g_strdup_printf ("crossing-companion-approve/%s", PACKAGE_VERSION);
  session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                           "user-agent", user_agent,
                                           NULL);
  api = crossing_claim_url_api_base (link, base_path);
  client = (Client) { .session = session, .api = api, .origin = link->origin };

  if (user_code != NULL)
    envelope = claim_by_code_and_challenge (&client, user_code, &order_id, &challenge_token,
                                            &error);
  else
    {
      order_id = g_strdup (link->order_id);
      envelope = claim_and_challenge (&client, link, &challenge_token, &error);
    }
  if (envelope == NULL || !check_envelope (envelope, order_id, &error))
    goto out;

  order_adapter_name = member_string (envelope, "adapterId");
  order_adapter = order_adapter_name != NULL ? crossing_adapter_from_string (order_adapter_name)
                                             : CROSSING_DEFAULT_ADAPTER;
  if (adapter == CROSSING_ADAPTER_INVALID)
    {
      /* A passkey lives in a phone's keychain, not in this program. */
      if (!crossing_adapter_signs_with_key (order_adapter))
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "The request asks for a kind of key this program cannot sign "
                               "with (try --adapter)");
          goto out;
        }
      adapter = order_adapter;
    }
  else if (adapter != order_adapter)
    g_printerr ("%s: note: signing as %s although the request asks for another kind of key\n",
                PREFIX, crossing_adapter_to_string (adapter));

  now = crossing_now_ms ();
  if (!member_int64 (envelope, "expiresAt", &expires_at))
    expires_at = G_MAXINT64;
  time_left_ms = expires_at > now ? expires_at - now : 0;
  /* Clocks differ: leave a little slack, never hang for long. */
  deadline_ms = now + CLAMP (time_left_ms, 30 * 1000, MAX_PROMPT_WAIT_MS) + 5 * 1000;

  subject = crossing_proof_subject_for_key (adapter, public_key);
  print_context (envelope, crossing_kind_from_string (member_string (envelope, "kind")), subject,
                 expires_at == G_MAXINT64 ? -1 : time_left_ms);

  /* An identified order: another key would only be refused (and counted). */
  only = member_string (envelope, "subject");
  if (!reject && only != NULL && strcmp (only, subject) != 0)
    {
      g_autofree char *only_shown = crossing_subject_short_form (only);
      g_autofree char *mine = crossing_subject_short_form (subject);
      g_autofree char *safe_only = printable (only_shown, 80);
      g_autofree char *safe_mine = printable (mine, 80);

      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "Only %s can approve this request, and this device signs as %s (choose the "
                   "key with --key, or refuse it with --reject)", safe_only, safe_mine);
      goto out;
    }

  if (reject)
    approve = FALSE;
  else
    {
      /* The check code first: the person compares it before deciding. */
      if (check_code == NULL && member_is_true (envelope, "checkCodeRequired"))
        {
          check_code = ask_check_code (deadline_ms, &error);
          if (check_code == NULL)
            goto out;
          asked_code = TRUE;
        }
      approve = yes || ask_approval (deadline_ms, &error);
      if (error != NULL)
        goto out;
    }

  if (!approve)
    {
      if (send_reject (&client, order_id, challenge_token, &error))
        {
          g_print ("Rejected. The desktop has been told.\n");
          status = COMPANION_APPROVE_EXIT_DECLINED;
        }
      goto out;
    }

  /* A number typed wrong gets two more tries, as on the phone page. */
  for (guint tries = 1;; tries++)
    {
      g_autofree char *code = NULL;

      if (send_approve (&client, order_id, challenge_token, check_code, adapter,
                        member_string (envelope, "message"), subject, seed, &code, &error))
        {
          g_print ("Approved. Return to your computer.\n");
          status = COMPANION_APPROVE_EXIT_APPROVED;
          break;
        }
      if (!asked_code || g_strcmp0 (code, "CHECK_CODE_MISMATCH") != 0)
        break;
      g_clear_error (&error);
      if (tries == COMPANION_APPROVE_CHECK_CODE_TRIES)
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "That number does not match the one on the desktop either. After %u "
                       "wrong numbers the request is cancelled: start again on the desktop",
                       COMPANION_APPROVE_CHECK_CODE_TRIES);
          break;
        }
      g_print ("That number does not match the one on the desktop (%u %s left). Look at the "
               "desktop again.\n", COMPANION_APPROVE_CHECK_CODE_TRIES - tries,
               COMPANION_APPROVE_CHECK_CODE_TRIES - tries == 1 ? "try" : "tries");
      g_clear_pointer (&check_code, g_free);
      check_code = ask_check_code (deadline_ms, &error);
      if (check_code == NULL)
        break;
    }

out:
  if (error != NULL)
    report_error (error);
  sodium_memzero (seed, sizeof seed);
  return status;
}
