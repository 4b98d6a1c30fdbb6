/* test-approve.c: `crossing-companion approve` without a real companion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pure parts (error sentences, the key file, reading answers, time left)
 * directly; the command itself in a subprocess against a scripted server on
 * 127.0.0.1 that can answer as a hostile server would. End-to-end runs
 * against the real companion live in test-flow.sh.
 */
#define G_LOG_DOMAIN "test-approve"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "crossing-proof.h"
#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-approve.h"

/* Well-formed tokens that are easy to spot in captured output. */
#define ORDER_ID        "ORDERxORDERxORDERxORDE"
#define CLAIM_TOKEN     "CLAIMxSECRETxCLAIMxSECRETxCLAIMx"
#define CHALLENGE_TOKEN "CHALLENGExSECRETxCHALLENGExSECRE"
#define DESK_ORIGIN     "https://desk.example"
#define TIMEOUT_USEC    (20 * G_USEC_PER_SEC)

/* Error sentences ----------------------------------------------------------- */

static void
assert_sentence (const char *code,
                 const char *message,
                 const char *expected)
{
  g_autofree char *sentence = companion_approve_describe_error (code, message);

  g_assert_cmpstr (sentence, ==, expected);
}

static void
test_describe_contract_codes (void)
{
  const char *expired = "This sign-in request has expired. Start a new one on the desktop.";

  /* The server's message never replaces the sentence for a known code. */
  assert_sentence ("ORDER_EXPIRED", "Order expired", expired);
  assert_sentence ("expired", NULL, expired);
  assert_sentence ("ALREADY_CLAIMED", "Order already claimed",
                   "Another device has already scanned this code.");
  assert_sentence ("INVALID_CLAIM_TOKEN", "Invalid claim token",
                   "This link is not valid (it may have been mistyped).");
  assert_sentence ("UNABLE_TO_RESOLVE_APPROVED_LOGIN", "Unable to resolve",
                   "This key is not allowed to sign in on this server.");
}

static void
test_describe_check_code_mentions_limit (void)
{
  g_autofree char *sentence =
    companion_approve_describe_error ("CHECK_CODE_MISMATCH", "The check code does not match");

  g_assert_true (g_str_has_prefix (sentence,
                                   "That number does not match the one on the desktop."));
  g_assert_nonnull (strstr (sentence, "Three wrong numbers cancel the request"));
}

static void
test_describe_unknown_code_uses_message (void)
{
  assert_sentence ("ORIGIN_MISMATCH", "Origin does not match the order",
                   "Origin does not match the order");
  assert_sentence ("SOMETHING_NEW", "The moon is in the way", "The moon is in the way");
  assert_sentence (NULL, "No code at all", "No code at all");
}

static void
test_describe_without_message (void)
{
  g_autofree char *with_code = companion_approve_describe_error ("SOMETHING_NEW", NULL);
  g_autofree char *with_empty = companion_approve_describe_error ("SOMETHING_NEW", "");
  g_autofree char *nothing = companion_approve_describe_error (NULL, NULL);

  g_assert_cmpstr (with_code, ==, "The server refused the request (SOMETHING_NEW).");
  g_assert_cmpstr (with_empty, ==, with_code);
  g_assert_cmpstr (nothing, ==, "The server refused the request.");
}

static void
test_describe_message_loses_control_characters (void)
{
  g_autofree char *sentence =
    companion_approve_describe_error ("X", "ok\033[2J\033]0;owned\007\nnext\xc2\x9b" "31m"
                                      "\xe2\x80\xae"
                                      "gnp.exe");
  g_autofree char *code_only = companion_approve_describe_error ("\033[31mRED", NULL);
  g_autofree char *invalid = companion_approve_describe_error (NULL, "bad \xff utf-8");
  GString *huge = g_string_new (NULL);
  g_autofree char *bounded = NULL;

  for (const char *p = sentence; *p != '\0'; p++)
    {
      g_assert_cmpint ((guchar) *p, >=, 0x20);
      g_assert_cmpint ((guchar) *p, !=, 0x7f);
    }
  g_assert_null (strstr (sentence, "\xc2\x9b"));      /* C1 CSI */
  g_assert_null (strstr (sentence, "\xe2\x80\xae"));  /* right-to-left override */
  g_assert_nonnull (strstr (sentence, "ok"));
  g_assert_nonnull (strstr (sentence, "next"));
  g_assert_null (strchr (code_only, '\033'));
  g_assert_true (g_utf8_validate (invalid, -1, NULL));

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (huge, 'a');
  bounded = companion_approve_describe_error (NULL, huge->str);
  g_assert_cmpuint (g_utf8_strlen (bounded, -1), <, 1000);
  g_string_free (huge, TRUE);
}

/* Time left ------------------------------------------------------------------ */

static void
test_time_left (void)
{
  static const struct {
    gint64      ms;
    const char *text;
  } cases[] = {
    { G_MININT64, "expired" },
    { -5000, "expired" },
    { 0, "expired" },
    { 1, "1 s" },
    { 999, "1 s" },
    { 45000, "45 s" },
    { 59001, "1 min" },
    { 60000, "1 min" },
    { 125000, "2 min 5 s" },
    { 3599000, "59 min 59 s" },
    { 3600000, "more than an hour" },
    { G_MAXINT64, "more than an hour" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = companion_approve_format_time_left (cases[i].ms);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* issue 12: a transaction's charge in major units. */
static void
test_format_amount (void)
{
  static const struct {
    const char *amount, *asset, *scale, *text;
  } cases[] = {
    { "1250", "eur", "2", "12.50 eur" },
    { "5", "eur", "2", "0.05 eur" },
    { "7", "btc", "3", "0.007 btc" },
    { "100", "coin", "0", "100 coin" },
    { "100", "coin", NULL, "100 coin" },
    { "9007199254740991", NULL, "18", "0.009007199254740991" },
    { "12", "e\x1b[2Jur", "0", "12 e\xef\xbf\xbd[2Jur" },
    { NULL, "eur", "2", NULL },
    { "", "eur", "2", NULL },
    { "-5", "eur", "2", NULL },
    { "1.5", "eur", "2", NULL },
    { "12345678901234567", "eur", "2", NULL },
    { "5", "eur", "19", NULL },
    { "5", "eur", "x", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = companion_approve_format_amount (cases[i].amount, cases[i].asset,
                                                               cases[i].scale);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* Answers --------------------------------------------------------------------- */

static void
assert_reply_refused (const char *data,
                      gssize      len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  object = companion_approve_parse_reply (data, len < 0 ? strlen (data) : (gsize) len, &error);
  g_assert_null (object);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_reply_object_accepted (void)
{
  const char *text = "{\"ok\":true,\"orderId\":\"abc\",\"nested\":{\"a\":[1,[2,[3]]]}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = companion_approve_parse_reply (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_assert_cmpstr (json_object_get_string_member (object, "orderId"), ==, "abc");
}

static void
test_reply_not_an_object_refused (void)
{
  assert_reply_refused ("", 0);
  assert_reply_refused ("<html><body>Bad gateway</body></html>", -1);
  assert_reply_refused ("[1,2,3]", -1);
  assert_reply_refused ("\"just a string\"", -1);
  assert_reply_refused ("null", -1);
  assert_reply_refused ("{\"ok\":true", -1);
  assert_reply_refused ("{\"a\":1}\0{\"b\":2}", 15);
}

static void
test_reply_deep_nesting_refused (void)
{
  GString *deep = g_string_new ("{\"a\":");
  GString *balanced = g_string_new ("{\"a\":");

  /* json-glib parses recursively: valid but deep JSON is refused before it
   * sees it, and so is a body that is nothing but opening brackets. */
  for (guint i = 0; i < 100; i++)
    g_string_append_c (balanced, '[');
  for (guint i = 0; i < 100; i++)
    g_string_append_c (balanced, ']');
  g_string_append_c (balanced, '}');
  assert_reply_refused (balanced->str, (gssize) balanced->len);

  for (guint i = 0; i < 60000; i++)
    g_string_append_c (deep, '[');
  assert_reply_refused (deep->str, (gssize) deep->len);
  g_string_free (deep, TRUE);
  g_string_free (balanced, TRUE);
}

static void
test_reply_too_large_refused (void)
{
  GString *large = g_string_new ("{\"a\":\"");

  for (guint i = 0; i < 70 * 1024; i++)
    g_string_append_c (large, 'x');
  g_string_append (large, "\"}");
  assert_reply_refused (large->str, (gssize) large->len);
  g_string_free (large, TRUE);
}

static void
test_reply_brackets_in_strings_allowed (void)
{
  GString *text = g_string_new ("{\"title\":\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  /* Brackets inside a string (and an escaped quote) are not nesting. */
  for (guint i = 0; i < 500; i++)
    g_string_append (text, "[{");
  g_string_append (text, "\\\"[[[\"}");
  object = companion_approve_parse_reply (text->str, text->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_string_free (text, TRUE);
}

/* The key file ----------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *key_path;
} KeyFixture;

static void
key_setup (KeyFixture    *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("crossing-approve-XXXXXX", &error);
  g_assert_no_error (error);
  /* A folder that does not exist yet, as on first use. */
  f->key_path = g_build_filename (f->dir, "data", "crossing", "device-key", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
key_teardown (KeyFixture    *f,
              gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->key_path);
}

static void
write_key_file (const char *path,
                const char *contents,
                gssize      len,
                int         mode)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static void
test_key_created_private (KeyFixture    *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *key_dir = g_path_get_dirname (f->key_path);
  guint8 seed[32];
  gboolean created = FALSE;
  GStatBuf st;

  g_assert_true (companion_approve_load_key (f->key_path, seed, &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);

  g_assert_cmpint (g_stat (f->key_path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (g_stat (key_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);

  /* The seed as lowercase hex and a newline, and nothing left beside it. */
  g_assert_true (g_file_get_contents (f->key_path, &contents, NULL, NULL));
  hex = crossing_hex_encode (seed, sizeof seed);
  g_assert_cmpuint (strlen (contents), ==, 65);
  g_assert_true (g_str_has_prefix (contents, hex));
  g_assert_true (g_str_has_suffix (contents, "\n"));
  {
    g_autoptr(GDir) dir = g_dir_open (key_dir, 0, NULL);

    g_assert_cmpstr (g_dir_read_name (dir), ==, "device-key");
    g_assert_null (g_dir_read_name (dir));
  }
}

static void
test_key_reused (KeyFixture    *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint8 first[32], second[32];
  gboolean created = TRUE;

  g_assert_true (companion_approve_load_key (f->key_path, first, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (companion_approve_load_key (f->key_path, second, &created, &error));
  g_assert_no_error (error);
  g_assert_false (created);
  g_assert_cmpmem (first, sizeof first, second, sizeof second);
}

static void
test_key_distinct_per_file (KeyFixture    *f,
                            gconstpointer  data)
{
  g_autofree char *other = g_build_filename (f->dir, "other-key", NULL);
  guint8 first[32], second[32];

  g_assert_true (companion_approve_load_key (f->key_path, first, NULL, NULL));
  g_assert_true (companion_approve_load_key (other, second, NULL, NULL));
  g_assert_true (memcmp (first, second, sizeof first) != 0);
}

static void
test_key_written_by_hand (KeyFixture    *f,
                          gconstpointer  data)
{
  static const guint8 expected[32] = {
    0x68, 0x2d, 0xf0, 0x35, 0xc3, 0x0e, 0x8c, 0x55, 0xbd, 0xa4, 0xab, 0x51, 0x72, 0x13, 0x79, 0x2c,
    0x2a, 0xf4, 0xb4, 0xe9, 0xc2, 0x3a, 0xc2, 0xcf, 0x11, 0xbd, 0x28, 0xb2, 0x37, 0xa6, 0x54, 0x4e,
  };
  g_autoptr(GError) error = NULL;
  guint8 seed[32];

  /* Upper case and a CRLF, as an editor on another system may leave it. */
  write_key_file (f->key_path,
                  "682DF035C30E8C55BDA4AB517213792C2AF4B4E9C23AC2CF11BD28B237A6544E\r\n", -1,
                  0600);
  g_assert_true (companion_approve_load_key (f->key_path, seed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (seed, sizeof seed, expected, sizeof expected);
}

static void
assert_key_refused (const char *path,
                    int         code,
                    const char *needle)
{
  g_autoptr(GError) error = NULL;
  guint8 seed[32];
  gboolean created = TRUE;

  g_assert_false (companion_approve_load_key (path, seed, &created, &error));
  g_assert_error (error, G_IO_ERROR, code);
  g_assert_false (created);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, needle));
}

static void
test_key_readable_by_others_refused (KeyFixture    *f,
                                     gconstpointer  data)
{
  static const int modes[] = { 0644, 0640, 0604, 0660, 0620 };
  g_autofree char *contents = NULL;
  g_autofree char *after = NULL;
  guint8 seed[32];

  g_assert_true (companion_approve_load_key (f->key_path, seed, NULL, NULL));
  g_assert_true (g_file_get_contents (f->key_path, &contents, NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_assert_cmpint (g_chmod (f->key_path, modes[i]), ==, 0);
      assert_key_refused (f->key_path, G_IO_ERROR_PERMISSION_DENIED, "chmod 600");
    }

  /* Refused, not replaced. */
  g_assert_true (g_file_get_contents (f->key_path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, contents);
}

static void
test_key_damaged_refused (KeyFixture    *f,
                          gconstpointer  data)
{
  static const struct {
    const char *contents;
    gssize      len;
  } damaged[] = {
    { "", 0 },
    { "not a key\n", -1 },
    /* 63 digits */
    { "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544\n", -1 },
    /* 66 digits */
    { "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e00\n", -1 },
    /* a non-hex digit */
    { "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544g\n", -1 },
    /* something after the key */
    { "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e\nmore\n", -1 },
    /* a NUL after the key */
    { "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e\0x", 66 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_test_message ("damaged key file %u", i);
      write_key_file (f->key_path, damaged[i].contents, damaged[i].len, 0600);
      assert_key_refused (f->key_path, G_IO_ERROR_INVALID_DATA, "damaged");
    }
}

static void
test_key_large_file_refused (KeyFixture    *f,
                             gconstpointer  data)
{
  g_autofree char *big = g_malloc (1024 * 1024);

  memset (big, ' ', 1024 * 1024);
  memcpy (big, "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e", 64);
  write_key_file (f->key_path, big, 1024 * 1024, 0600);
  assert_key_refused (f->key_path, G_IO_ERROR_INVALID_DATA, "damaged");
}

static void
test_key_not_a_file_refused (KeyFixture    *f,
                             gconstpointer  data)
{
  g_assert_cmpint (g_mkdir_with_parents (f->key_path, 0700), ==, 0);
  assert_key_refused (f->key_path, G_IO_ERROR_NOT_REGULAR_FILE, "not a regular file");
}

/* The command against a scripted server ------------------------------------------- */

typedef enum {
  SCRIPT_FOLLOW_CONTRACT,
  SCRIPT_NIMIQ_ORDER,
  SCRIPT_CHECK_CODE_REQUIRED,
  SCRIPT_CLAIM_CONFLICT,
  SCRIPT_CLAIM_NOT_JSON,
  SCRIPT_ERROR_NOT_JSON,
  SCRIPT_CLAIM_REDIRECTS,
  SCRIPT_ENVELOPE_WRONG_TYPES,
  SCRIPT_ENVELOPE_ESCAPES,
  SCRIPT_MESSAGE_OTHER_ORIGIN,
  SCRIPT_APPROVE_WRONG_CODE,
} Script;

typedef struct {
  Script        script;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  GThread      *thread;
  guint         port;
  char         *dir;

  /* Written by the server thread, read after it stopped. */
  guint         claims;
  guint         challenges;
  guint         approvals;
  guint         rejections;
  guint         elsewhere;
  char         *subject;
} Fake;

static const char *
envelope_message (void)
{
  return "Test requests cross-device approval\n"
         "Action: auth.login\n"
         "Origin: " DESK_ORIGIN "\n"
         "Challenge ID: challenge-1\n"
         "Nonce: nonce-1\n"
         "Issued At: 2026-11-22T10:00:00.000Z\n"
         "Expires At: 2026-11-22T10:02:00.000Z\n"
         "Request ID: " ORDER_ID "\n"
         "Resource: /\n"
         "kind: login\n"
         "orderId: " ORDER_ID "\n"
         "summary: Approve login for Test.\n"
         "title: Test login";
}

static char *
envelope_json (Fake *f)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const char *title = "Test login";
  const char *message = envelope_message ();
  g_autofree char *other_message = NULL;

  if (f->script == SCRIPT_ENVELOPE_WRONG_TYPES)
    return g_strdup ("{\"orderId\":[1],\"adapterId\":7,\"message\":{\"a\":1},"
                     "\"display\":\"title\",\"requester\":[],\"expiresAt\":{\"x\":1},"
                     "\"checkCodeRequired\":\"yes\",\"appName\":null,\"origin\":false}");
  if (f->script == SCRIPT_ENVELOPE_ESCAPES)
    title = "\033[2J\033[1;1HEverything is fine\033]0;title\007";
  if (f->script == SCRIPT_MESSAGE_OTHER_ORIGIN)
    {
      g_autoptr(GString) s = g_string_new (message);

      g_string_replace (s, DESK_ORIGIN, "https://evil.example", 0);
      message = other_message = g_string_free (g_steal_pointer (&s), FALSE);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "orderId");
  json_builder_add_string_value (b, ORDER_ID);
  json_builder_set_member_name (b, "adapterId");
  json_builder_add_string_value (b, f->script == SCRIPT_NIMIQ_ORDER ? "nimiq-pay" : "ed25519");
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "waiting_user");
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, "login");
  json_builder_set_member_name (b, "origin");
  json_builder_add_string_value (b, DESK_ORIGIN);
  json_builder_set_member_name (b, "appName");
  json_builder_add_string_value (b, "Test");
  json_builder_set_member_name (b, "expiresAt");
  json_builder_add_int_value (b, crossing_now_ms () + 90 * 1000);
  json_builder_set_member_name (b, "display");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, title);
  json_builder_set_member_name (b, "summary");
  json_builder_add_string_value (b, "Approve login for Test.");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "requester");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ip");
  json_builder_add_string_value (b, "192.0.2.7");
  json_builder_set_member_name (b, "userAgent");
  json_builder_add_string_value (b, "TestBrowser/1.0");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "checkCodeRequired");
  json_builder_add_boolean_value (b, f->script == SCRIPT_CHECK_CODE_REQUIRED ||
                                  f->script == SCRIPT_APPROVE_WRONG_CODE);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *content_type,
         const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

static JsonObject *
request_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  /* What every request of the command must carry. */
  g_assert_cmpstr (soup_server_message_get_method (msg), ==, "POST");
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/json");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (headers, "User-Agent"),
                                   "crossing-companion-approve/" PACKAGE_VERSION));

  json_parser_load_from_data (parser, body->data, body->length, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
handle_approve (Fake              *f,
                SoupServerMessage *msg,
                JsonObject        *request)
{
  JsonObject *proof = json_object_get_object_member (request, "proof");
  CrossingAdapter adapter = f->script == SCRIPT_NIMIQ_ORDER ? CROSSING_ADAPTER_NIMIQ_PAY
                                                            : CROSSING_ADAPTER_ED25519;
  const char *address = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (json_object_get_string_member (request, "challengeToken"), ==, CHALLENGE_TOKEN);
  if (f->script == SCRIPT_CHECK_CODE_REQUIRED || f->script == SCRIPT_APPROVE_WRONG_CODE)
    g_assert_cmpstr (json_object_get_string_member (request, "checkCode"), ==, "42");
  if (f->script == SCRIPT_APPROVE_WRONG_CODE)
    {
      respond (msg, 400, "application/json",
               "{\"code\":\"CHECK_CODE_MISMATCH\",\"message\":\"2 tries left\"}");
      return;
    }
  if (adapter == CROSSING_ADAPTER_NIMIQ_PAY)
    {
      address = json_object_get_string_member (proof, "address");
      g_assert_nonnull (address);
    }

  /* The proof must verify over the message exactly as it was sent. */
  g_assert_true (crossing_proof_verify (adapter, envelope_message (),
                                        json_object_get_string_member (proof, "publicKeyHex"),
                                        json_object_get_string_member (proof, "signatureHex"),
                                        address, &f->subject, NULL, &error));
  g_assert_no_error (error);
  f->approvals++;
  respond (msg, 200, "application/json",
           "{\"ok\":true,\"orderId\":\"" ORDER_ID "\",\"status\":\"approved\"}");
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fake *f = user_data;
  g_autoptr(JsonObject) request = NULL;
  g_autofree char *envelope = NULL;

  if (g_str_equal (path, "/elsewhere"))
    {
      f->elsewhere++;
      respond (msg, 200, "application/json", "{\"ok\":true,\"challengeToken\":\"x\"}");
      return;
    }

  request = request_object (msg);
  g_assert_cmpstr (json_object_get_string_member (request, "orderId"), ==, ORDER_ID);

  if (g_str_equal (path, "/api/auth/cross-device/claim"))
    {
      g_autofree char *location = NULL;

      f->claims++;
      g_assert_cmpstr (json_object_get_string_member (request, "claimToken"), ==, CLAIM_TOKEN);
      switch (f->script)
        {
        case SCRIPT_CLAIM_CONFLICT:
          respond (msg, 409, "application/json",
                   "{\"code\":\"ALREADY_CLAIMED\",\"message\":\"Order already claimed\"}");
          return;
        case SCRIPT_CLAIM_NOT_JSON:
          respond (msg, 200, "text/html", "<html>Welcome to nginx!</html>");
          return;
        case SCRIPT_ERROR_NOT_JSON:
          respond (msg, 502, "text/html", "<html>Bad gateway</html>");
          return;
        case SCRIPT_CLAIM_REDIRECTS:
          location = g_strdup_printf ("http://127.0.0.1:%u/elsewhere", f->port);
          soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
          return;
        case SCRIPT_FOLLOW_CONTRACT:
        case SCRIPT_NIMIQ_ORDER:
        case SCRIPT_CHECK_CODE_REQUIRED:
        case SCRIPT_ENVELOPE_WRONG_TYPES:
        case SCRIPT_ENVELOPE_ESCAPES:
        case SCRIPT_MESSAGE_OTHER_ORIGIN:
        case SCRIPT_APPROVE_WRONG_CODE:
        default:
          respond (msg, 200, "application/json",
                   "{\"ok\":true,\"orderId\":\"" ORDER_ID "\",\"status\":\"claimed\","
                   "\"challengeToken\":\"" CHALLENGE_TOKEN "\"}");
          return;
        }
    }

  g_assert_cmpstr (json_object_get_string_member (request, "challengeToken"), ==, CHALLENGE_TOKEN);
  if (g_str_equal (path, "/api/auth/cross-device/challenge"))
    {
      f->challenges++;
      envelope = envelope_json (f);
      respond (msg, 200, "application/json", envelope);
    }
  else if (g_str_equal (path, "/api/auth/cross-device/approve"))
    handle_approve (f, msg, request);
  else if (g_str_equal (path, "/api/auth/cross-device/reject"))
    {
      f->rejections++;
      respond (msg, 200, "application/json",
               "{\"ok\":true,\"orderId\":\"" ORDER_ID "\",\"status\":\"rejected\"}");
    }
  else
    respond (msg, 404, "application/json", "{\"code\":\"NOT_FOUND\",\"message\":\"Not found\"}");
}

static gpointer
serve (gpointer data)
{
  Fake *f = data;

  g_main_context_push_thread_default (f->context);
  g_main_loop_run (f->loop);
  g_main_context_pop_thread_default (f->context);
  return NULL;
}

static void
fake_start (Fake   *f,
            Script  script)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->script = script;
  f->dir = g_dir_make_tmp ("crossing-approve-XXXXXX", &error);
  g_assert_no_error (error);

  /* The listener attaches to the thread-default context of its creator. */
  f->context = g_main_context_new ();
  f->loop = g_main_loop_new (f->context, FALSE);
  g_main_context_push_thread_default (f->context);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handle, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_main_context_pop_thread_default (f->context);
  g_assert_no_error (error);

  uris = soup_server_get_uris (f->server);
  g_assert_nonnull (uris);
  f->port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  f->thread = g_thread_new ("fake-server", serve, f);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
fake_stop (Fake *f)
{
  g_main_context_invoke (f->context, quit_loop, f->loop);
  g_thread_join (f->thread);
  soup_server_disconnect (f->server);
  g_assert_finalize_object (f->server);
  g_main_loop_unref (f->loop);
  g_main_context_unref (f->context);
  remove_tree (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

/* What the server saw outlives fake_stop (). */
static void
fake_clear (Fake *f)
{
  g_clear_pointer (&f->subject, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fake, fake_clear)

/* Runs the command against the fake server with @options (NULL-terminated)
 * and a fresh key; returns its exit status. */
static int
run_approve (Fake       *f,
             const char *first_option,
             ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char **argv = NULL;
  va_list ap;
  int status;

  g_ptr_array_add (args, g_strdup ("approve"));
  g_ptr_array_add (args, g_strdup ("--key"));
  g_ptr_array_add (args, g_build_filename (f->dir, "device-key", NULL));
  va_start (ap, first_option);
  for (const char *option = first_option; option != NULL; option = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (option));
  va_end (ap);
  g_ptr_array_add (args, g_strdup_printf ("http://127.0.0.1:%u/cross-device/claim/" ORDER_ID
                                          "?token=" CLAIM_TOKEN, f->port));

  /* The option parser reorders argv; it must not lose our strings. */
  argv = g_new0 (char *, args->len + 1);
  memcpy (argv, args->pdata, sizeof (char *) * args->len);
  status = companion_approve_main ((int) args->len, argv);
  fflush (stdout);
  return status;
}

/* Everything the command printed keeps the tokens to itself. */
static void
assert_no_token_printed (void)
{
  g_test_trap_assert_stdout_unmatched ("*SECRET*");
  g_test_trap_assert_stderr_unmatched ("*SECRET*");
}

static void
test_command_approves_with_order_adapter (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_FOLLOW_CONTRACT);
      g_assert_cmpint (run_approve (&f, "--yes", NULL), ==, COMPANION_APPROVE_EXIT_APPROVED);
      fake_stop (&f);
      g_assert_cmpuint (f.claims, ==, 1);
      g_assert_cmpuint (f.challenges, ==, 1);
      g_assert_cmpuint (f.approvals, ==, 1);
      g_assert_cmpuint (f.rejections, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Test asks for your approval*");
  g_test_trap_assert_stdout ("*Title:*Test login*");
  g_test_trap_assert_stdout ("*Website:*" DESK_ORIGIN "*");
  /* No device or network named: the raw User-Agent, said as unknown. */
  g_test_trap_assert_stdout ("*Device:*unknown (TestBrowser/1.0)*");
  g_test_trap_assert_stdout ("*From:*192.0.2.7*");
  g_test_trap_assert_stdout ("*Time left:*1 min*");
  g_test_trap_assert_stdout ("*Signing in as:*ed25519:*");
  g_test_trap_assert_stdout ("*Approved. Return to your computer.*");
  g_test_trap_assert_stderr ("");
  assert_no_token_printed ();
}

static void
test_command_signs_for_nimiq_order (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_NIMIQ_ORDER);
      g_assert_cmpint (run_approve (&f, "--yes", NULL), ==, COMPANION_APPROVE_EXIT_APPROVED);
      fake_stop (&f);
      g_assert_cmpuint (f.approvals, ==, 1);
      g_assert_true (g_str_has_prefix (f.subject, "NQ"));
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Signing in as:*NQ*");
  assert_no_token_printed ();
}

static void
test_command_sends_check_code (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_CHECK_CODE_REQUIRED);
      g_assert_cmpint (run_approve (&f, "--yes", "--check-code", "42", NULL), ==,
                       COMPANION_APPROVE_EXIT_APPROVED);
      fake_stop (&f);
      g_assert_cmpuint (f.approvals, ==, 1);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout_unmatched ("*Enter the number*");
}

static void
test_command_check_code_without_input_fails (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      /* The trap gives the child /dev/null as its standard input. */
      fake_start (&f, SCRIPT_CHECK_CODE_REQUIRED);
      g_assert_cmpint (run_approve (&f, "--yes", NULL), ==, COMPANION_APPROVE_EXIT_ERROR);
      fake_stop (&f);
      g_assert_cmpuint (f.approvals, ==, 0);
      g_assert_cmpuint (f.rejections, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Enter the number shown on the desktop: *");
  g_test_trap_assert_stderr ("crossing-companion approve: No number was given*--check-code*");
}

static void
test_command_wrong_check_code_explained (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_APPROVE_WRONG_CODE);
      g_assert_cmpint (run_approve (&f, "--yes", "--check-code", "42", NULL), ==,
                       COMPANION_APPROVE_EXIT_ERROR);
      fake_stop (&f);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("crossing-companion approve: That number does not match the one on "
                             "the desktop.*Three wrong numbers*");
  g_test_trap_assert_stdout_unmatched ("*Approved*");
}

static void
test_command_without_answer_fails (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_FOLLOW_CONTRACT);
      g_assert_cmpint (run_approve (&f, NULL), ==, COMPANION_APPROVE_EXIT_ERROR);
      fake_stop (&f);
      /* No answer is not a "no": nothing is rejected on the person's behalf. */
      g_assert_cmpuint (f.approvals, ==, 0);
      g_assert_cmpuint (f.rejections, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Approve? [y/N] *");
  g_test_trap_assert_stderr ("*No answer was given*--yes or --reject*");
}

static void
test_command_rejects (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_CHECK_CODE_REQUIRED);
      /* Rejecting needs no check code. */
      g_assert_cmpint (run_approve (&f, "--reject", NULL), ==, COMPANION_APPROVE_EXIT_DECLINED);
      fake_stop (&f);
      g_assert_cmpuint (f.rejections, ==, 1);
      g_assert_cmpuint (f.approvals, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Rejected.*");
  assert_no_token_printed ();
}

static void
test_command_usage_errors (void)
{
  static const char *const bad[][4] = {
    { "--yes", "--reject", NULL },
    { "--check-code", "4x2", NULL },
    { "--adapter", "rsa", NULL },
    { "--base-path", "api auth", NULL },
  };

  if (g_test_subprocess ())
    {
      /* Refused before anything is claimed. */
      for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
        {
          g_auto(Fake) f = { 0, };

          fake_start (&f, SCRIPT_FOLLOW_CONTRACT);
          g_assert_cmpint (run_approve (&f, bad[i][0], bad[i][1], bad[i][2], NULL), ==,
                           COMPANION_APPROVE_EXIT_ERROR);
          fake_stop (&f);
          g_assert_cmpuint (f.claims, ==, 0);
        }
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*--yes and --reject*--check-code*--adapter*--base-path*");
}

static void
assert_command_fails (Script      script,
                      const char *stderr_pattern)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, script);
      g_assert_cmpint (run_approve (&f, "--yes", NULL), ==, COMPANION_APPROVE_EXIT_ERROR);
      fake_stop (&f);
      g_assert_cmpuint (f.approvals, ==, 0);
      g_assert_cmpuint (f.elsewhere, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr (stderr_pattern);
  g_test_trap_assert_stdout_unmatched ("*Approved*");
  assert_no_token_printed ();
}

static void
test_command_already_claimed (void)
{
  assert_command_fails (SCRIPT_CLAIM_CONFLICT,
                        "crossing-companion approve: Another device has already scanned this "
                        "code.\n");
}

static void
test_command_claim_not_json (void)
{
  assert_command_fails (SCRIPT_CLAIM_NOT_JSON, "*does not understand*");
}

static void
test_command_error_not_json (void)
{
  assert_command_fails (SCRIPT_ERROR_NOT_JSON, "*answered HTTP 502*");
}

static void
test_command_redirect_not_followed (void)
{
  assert_command_fails (SCRIPT_CLAIM_REDIRECTS, "*elsewhere (HTTP 302)*");
}

static void
test_command_envelope_wrong_types (void)
{
  assert_command_fails (SCRIPT_ENVELOPE_WRONG_TYPES, "*does not understand*");
}

static void
test_command_message_must_match_origin (void)
{
  assert_command_fails (SCRIPT_MESSAGE_OTHER_ORIGIN, "*refusing to sign*");
}

static void
test_command_escapes_not_printed (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };

      fake_start (&f, SCRIPT_ENVELOPE_ESCAPES);
      g_assert_cmpint (run_approve (&f, "--reject", NULL), ==, COMPANION_APPROVE_EXIT_DECLINED);
      fake_stop (&f);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Everything is fine*");
  g_test_trap_assert_stdout_unmatched ("*\033*");
  g_test_trap_assert_stdout_unmatched ("*\007*");
}

static void
test_command_unreachable (void)
{
  if (g_test_subprocess ())
    {
      g_auto(Fake) f = { 0, };
      guint port;

      /* A port that was just listening and is now closed. */
      fake_start (&f, SCRIPT_FOLLOW_CONTRACT);
      port = f.port;
      fake_stop (&f);
      f.dir = g_dir_make_tmp ("crossing-approve-XXXXXX", NULL);
      f.port = port;
      g_assert_cmpint (run_approve (&f, "--yes", NULL), ==, COMPANION_APPROVE_EXIT_ERROR);
      remove_tree (f.dir);
      g_free (f.dir);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("crossing-companion approve: Cannot reach the server at "
                             "http://127.0.0.1:*");
  assert_no_token_printed ();
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  crossing_crypto_init ();

  g_test_add_func ("/companion/approve/describe/contract-codes", test_describe_contract_codes);
  g_test_add_func ("/companion/approve/describe/check-code-mentions-limit",
                   test_describe_check_code_mentions_limit);
  g_test_add_func ("/companion/approve/describe/unknown-code-uses-message",
                   test_describe_unknown_code_uses_message);
  g_test_add_func ("/companion/approve/describe/without-message", test_describe_without_message);
  g_test_add_func ("/companion/approve/describe/message-loses-control-characters",
                   test_describe_message_loses_control_characters);
  g_test_add_func ("/companion/approve/time-left", test_time_left);
  g_test_add_func ("/companion/approve/format-amount", test_format_amount);
  g_test_add_func ("/companion/approve/reply/object-accepted", test_reply_object_accepted);
  g_test_add_func ("/companion/approve/reply/not-an-object-refused",
                   test_reply_not_an_object_refused);
  g_test_add_func ("/companion/approve/reply/deep-nesting-refused",
                   test_reply_deep_nesting_refused);
  g_test_add_func ("/companion/approve/reply/too-large-refused", test_reply_too_large_refused);
  g_test_add_func ("/companion/approve/reply/brackets-in-strings-allowed",
                   test_reply_brackets_in_strings_allowed);

#define ADD_KEY_TEST(path, func) \
  g_test_add ("/companion/approve/key/" path, KeyFixture, NULL, key_setup, func, key_teardown)
  ADD_KEY_TEST ("created-private", test_key_created_private);
  ADD_KEY_TEST ("reused", test_key_reused);
  ADD_KEY_TEST ("distinct-per-file", test_key_distinct_per_file);
  ADD_KEY_TEST ("written-by-hand", test_key_written_by_hand);
  ADD_KEY_TEST ("readable-by-others-refused", test_key_readable_by_others_refused);
  ADD_KEY_TEST ("damaged-refused", test_key_damaged_refused);
  ADD_KEY_TEST ("large-file-refused", test_key_large_file_refused);
  ADD_KEY_TEST ("not-a-file-refused", test_key_not_a_file_refused);
#undef ADD_KEY_TEST

  g_test_add_func ("/companion/approve/command/approves-with-order-adapter",
                   test_command_approves_with_order_adapter);
  g_test_add_func ("/companion/approve/command/signs-for-nimiq-order",
                   test_command_signs_for_nimiq_order);
  g_test_add_func ("/companion/approve/command/sends-check-code", test_command_sends_check_code);
  g_test_add_func ("/companion/approve/command/check-code-without-input-fails",
                   test_command_check_code_without_input_fails);
  g_test_add_func ("/companion/approve/command/wrong-check-code-explained",
                   test_command_wrong_check_code_explained);
  g_test_add_func ("/companion/approve/command/without-answer-fails",
                   test_command_without_answer_fails);
  g_test_add_func ("/companion/approve/command/rejects", test_command_rejects);
  g_test_add_func ("/companion/approve/command/usage-errors", test_command_usage_errors);
  g_test_add_func ("/companion/approve/command/already-claimed", test_command_already_claimed);
  g_test_add_func ("/companion/approve/command/claim-not-json", test_command_claim_not_json);
  g_test_add_func ("/companion/approve/command/error-not-json", test_command_error_not_json);
  g_test_add_func ("/companion/approve/command/redirect-not-followed",
                   test_command_redirect_not_followed);
  g_test_add_func ("/companion/approve/command/envelope-wrong-types",
                   test_command_envelope_wrong_types);
  g_test_add_func ("/companion/approve/command/message-must-match-origin",
                   test_command_message_must_match_origin);
  g_test_add_func ("/companion/approve/command/escapes-not-printed",
                   test_command_escapes_not_printed);
  g_test_add_func ("/companion/approve/command/unreachable", test_command_unreachable);

  return g_test_run ();
}
