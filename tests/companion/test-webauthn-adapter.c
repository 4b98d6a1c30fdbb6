/* test-webauthn-adapter.c: approving cross-device orders with a passkey
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An in-process companion whose public URL is http://localhost:PORT (a
 * secure context) and a small software authenticator: an Ed25519 passkey
 * whose answers are built as a browser hands them over (clientDataJSON,
 * authenticator data, a "none" attestation object in CBOR through libcbor).
 */
#include "config.h"

#include <cbor.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/wait.h>

#include "companion-test-utils.h"
#include "companion-webauthn.h"

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_BE 0x08
#define FLAG_BS 0x10
#define FLAG_AT 0x40

typedef struct {
  guint8   public_key[crypto_sign_PUBLICKEYBYTES];
  guint8   secret_key[crypto_sign_SECRETKEYBYTES];
  guint8   id[32];
  char    *credential_id;
  guint32  sign_count;
  guint8   flags;
} Passkey;

typedef struct {
  CtFixture  ct;
  char      *rp_id;
  char      *origin;
} Fixture;

/* What a test changes in one answer, one field at a time. */
typedef struct {
  const char *type;           /* clientDataJSON.type; NULL: the ceremony's */
  const char *origin;         /* NULL: the companion's */
  const char *message;        /* the challenge is SHA-256 of it; NULL: the order's */
  gboolean    cross_origin;
  guint8      clear_flags;
  gboolean    same_count;     /* a replay: sign count not increased */
} Tamper;

static void
passkey_init (Passkey *passkey,
              guint    n,
              guint8   flags)
{
  guint8 seed[crypto_sign_SEEDBYTES] = { 0, };

  seed[0] = (guint8) n;
  seed[1] = 0x5a;
  crypto_sign_seed_keypair (passkey->public_key, passkey->secret_key, seed);
  memset (passkey->id, 0, sizeof passkey->id);
  passkey->id[0] = (guint8) n;
  passkey->id[31] = 0xa5;
  passkey->credential_id = companion_webauthn_encode_field (passkey->id, sizeof passkey->id);
  passkey->sign_count = 0;
  passkey->flags = flags;
}

static void
passkey_clear (Passkey *passkey)
{
  sodium_memzero (passkey->secret_key, sizeof passkey->secret_key);
  g_clear_pointer (&passkey->credential_id, g_free);
}

static GBytes *
cbor_bytes (cbor_item_t *item)
{
  guint8 *buffer = NULL;
  size_t size = 0;
  size_t len = cbor_serialize_alloc (item, &buffer, &size);
  GBytes *bytes;

  g_assert_cmpuint (len, >, 0);
  bytes = g_bytes_new (buffer, len);
  free (buffer);
  cbor_decref (&item);
  return bytes;
}

static void
map_add (cbor_item_t *map,
         cbor_item_t *key,
         cbor_item_t *value)
{
  g_assert_true (cbor_map_add (map, (struct cbor_pair) {
    .key = cbor_move (key), .value = cbor_move (value)
  }));
}

/* {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x} */
static GBytes *
cose_key (const Passkey *passkey)
{
  cbor_item_t *map = cbor_new_definite_map (4);

  map_add (map, cbor_build_uint8 (1), cbor_build_uint8 (1));
  map_add (map, cbor_build_uint8 (3), cbor_build_negint8 (7));
  map_add (map, cbor_build_negint8 (0), cbor_build_uint8 (6));
  map_add (map, cbor_build_negint8 (1),
           cbor_build_bytestring (passkey->public_key, sizeof passkey->public_key));
  return cbor_bytes (map);
}

static GBytes *
auth_data (const Fixture *f,
           const Passkey *passkey,
           guint8         flags,
           gboolean       attested)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 hash[crypto_hash_sha256_BYTES];
  guint8 count[4] = {
    passkey->sign_count >> 24, passkey->sign_count >> 16, passkey->sign_count >> 8,
    passkey->sign_count
  };

  if (attested)
    flags |= FLAG_AT;
  crypto_hash_sha256 (hash, (const guint8 *) f->rp_id, strlen (f->rp_id));
  g_byte_array_append (out, hash, sizeof hash);
  g_byte_array_append (out, &flags, 1);
  g_byte_array_append (out, count, sizeof count);
  if (attested)
    {
      static const guint8 aaguid[16] = { 0, };
      guint8 id_len[2] = { 0, sizeof passkey->id };
      g_autoptr(GBytes) key = cose_key (passkey);

      g_byte_array_append (out, aaguid, sizeof aaguid);
      g_byte_array_append (out, id_len, sizeof id_len);
      g_byte_array_append (out, passkey->id, sizeof passkey->id);
      g_byte_array_append (out, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static char *
encode (GBytes *bytes)
{
  return companion_webauthn_encode_field (g_bytes_get_data (bytes, NULL),
                                          g_bytes_get_size (bytes));
}

static GBytes *
client_data (const Fixture *f,
             const char    *type,
             const char    *message,
             const Tamper  *tamper)
{
  g_autofree char *challenge = companion_webauthn_challenge_for_message (
    tamper->message != NULL ? tamper->message : message);
  g_autofree char *json = g_strdup_printf ("{\"type\":\"%s\",\"challenge\":\"%s\","
                                           "\"origin\":\"%s\",\"crossOrigin\":%s}",
                                           tamper->type != NULL ? tamper->type : type,
                                           challenge,
                                           tamper->origin != NULL ? tamper->origin : f->origin,
                                           tamper->cross_origin ? "true" : "false");

  return g_bytes_new (json, strlen (json));
}

/* navigator.credentials.create (): the proof of an approve request. */
static char *
create_proof (const Fixture *f,
              Passkey       *passkey,
              const char    *message,
              const Tamper  *tamper)
{
  g_autoptr(GBytes) data = auth_data (f, passkey, passkey->flags & ~tamper->clear_flags, TRUE);
  g_autoptr(GBytes) client = client_data (f, "webauthn.create", message, tamper);
  g_autoptr(GBytes) attestation = NULL;
  g_autofree char *client_b64 = encode (client);
  g_autofree char *attestation_b64 = NULL;
  cbor_item_t *map = cbor_new_definite_map (3);

  map_add (map, cbor_build_string ("fmt"), cbor_build_string ("none"));
  map_add (map, cbor_build_string ("attStmt"), cbor_new_definite_map (0));
  map_add (map, cbor_build_string ("authData"),
           cbor_build_bytestring (g_bytes_get_data (data, NULL), g_bytes_get_size (data)));
  attestation = cbor_bytes (map);
  attestation_b64 = encode (attestation);

  return g_strdup_printf ("{\"type\":\"webauthn.create\",\"credentialId\":\"%s\","
                          "\"clientDataJSON\":\"%s\",\"attestationObject\":\"%s\","
                          "\"transports\":[\"internal\",\"hybrid\"]}",
                          passkey->credential_id, client_b64, attestation_b64);
}

/* navigator.credentials.get (). */
static char *
get_proof (const Fixture *f,
           Passkey       *passkey,
           const char    *message,
           const Tamper  *tamper)
{
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) client = client_data (f, "webauthn.get", message, tamper);
  g_autoptr(GByteArray) signed_data = g_byte_array_new ();
  guint8 client_hash[crypto_hash_sha256_BYTES];
  guint8 signature[crypto_sign_BYTES];
  g_autofree char *data_b64 = NULL;
  g_autofree char *client_b64 = encode (client);
  g_autofree char *signature_b64 = NULL;

  if (!tamper->same_count)
    passkey->sign_count++;
  data = auth_data (f, passkey, passkey->flags & ~tamper->clear_flags, FALSE);
  crypto_hash_sha256 (client_hash, g_bytes_get_data (client, NULL), g_bytes_get_size (client));
  g_byte_array_append (signed_data, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_byte_array_append (signed_data, client_hash, sizeof client_hash);
  crypto_sign_detached (signature, NULL, signed_data->data, signed_data->len, passkey->secret_key);
  data_b64 = encode (data);
  signature_b64 = companion_webauthn_encode_field (signature, sizeof signature);

  return g_strdup_printf ("{\"type\":\"webauthn.get\",\"credentialId\":\"%s\","
                          "\"clientDataJSON\":\"%s\",\"authenticatorData\":\"%s\","
                          "\"signature\":\"%s\",\"userHandle\":\"dXNlcg\"}",
                          passkey->credential_id, client_b64, data_b64, signature_b64);
}

static CtResponse *
send_approve (Fixture    *f,
              CtOrder    *order,
              const char *proof)
{
  return ct_post_printf (&f->ct, "approve",
                         "{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"%s\","
                         "\"proof\":%s}",
                         order->order_id, order->challenge_token, order->check_code, proof);
}

/* Started, claimed, check code read, challenge fetched: waiting for the phone. */
static CtOrder *
waiting_order (Fixture    *f,
               const char *kind)
{
  CtOrder *order = ct_order_start (&f->ct, kind, "\"adapterId\":\"webauthn\"");
  g_autoptr(JsonNode) envelope = NULL;

  ct_order_claim (&f->ct, order);
  ct_order_read_check_code (&f->ct, order);
  envelope = ct_order_challenge (&f->ct, order);
  return order;
}

static const char *
order_status (Fixture *f,
              CtOrder *order)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionOrder) record = companion_store_get_order (ct_fixture_get_store (&f->ct),
                                                                order->order_id, &error);

  g_assert_no_error (error);
  return crossing_status_to_string (record->status);
}

static void
assert_refused (Fixture    *f,
                CtOrder    *order,
                const char *proof,
                const char *check)
{
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *log = g_strdup_printf ("*passkey proof refused: %s*", check);

  g_test_expect_message ("companion-webauthn", G_LOG_LEVEL_MESSAGE, log);
  response = send_approve (f, order, proof);
  g_test_assert_expected_messages ();
  ct_response_assert_error (response, 401, "INVALID_PROOF");
  /* A refused proof changes nothing: the order still waits for one. */
  g_assert_cmpstr (order_status (f, order), ==, "waiting_user");
}

static void
approve_ok (Fixture    *f,
            CtOrder    *order,
            const char *proof)
{
  g_autoptr(CtResponse) response = send_approve (f, order, proof);

  if (response->status != SOUP_STATUS_OK)
    g_test_message ("approve: %.*s", (int) g_bytes_get_size (response->body),
                    (const char *) g_bytes_get_data (response->body, NULL));
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (ct_json_string (ct_response_object (response), "status"), ==, "approved");
}

/* The public URL becomes http://localhost:PORT once the port is known. */
static void
use_public_host (Fixture    *f,
                 const char *scheme,
                 const char *host)
{
  g_autoptr(GUri) uri = g_uri_parse (f->ct.url, G_URI_FLAGS_NONE, NULL);

  g_free (f->ct.config->public_url);
  f->ct.config->public_url = g_strdup_printf ("%s://%s:%d", scheme, host, g_uri_get_port (uri));
  companion_config_set_listening_url (f->ct.config, f->ct.config->public_url);
  g_free (f->origin);
  f->origin = g_strdup (f->ct.config->public_origin);
  g_free (f->rp_id);
  f->rp_id = g_strdup (host);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  ct_fixture_setup (&f->ct, data);
  use_public_host (f, "http", "localhost");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ct_fixture_teardown (&f->ct, data);
  g_free (f->rp_id);
  g_free (f->origin);
}

static JsonObject *
get_session (Fixture    *f,
             const char *token,
             CtResponse **out_response)
{
  SoupMessage *msg = ct_message_new (&f->ct, "GET", "/api/auth/get-session");
  g_autofree char *bearer = g_strdup_printf ("Bearer %s", token);

  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", bearer);
  *out_response = ct_send (&f->ct, msg);
  g_assert_cmpuint ((*out_response)->status, ==, SOUP_STATUS_OK);
  return ct_json_object (ct_response_object (*out_response), "user");
}

static char *
login (Fixture  *f,
       Passkey  *passkey,
       gboolean  create)
{
  g_autoptr(CtOrder) order = waiting_order (f, "login");
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *proof = create ? create_proof (f, passkey, order->message, &(Tamper) { 0, })
                                  : get_proof (f, passkey, order->message, &(Tamper) { 0, });

  approve_ok (f, order, proof);
  response = ct_order_finalize (&f->ct, order);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  return g_strdup (ct_json_string (ct_response_object (response), "token"));
}

/* Runs crossing-companion verify-artifact on @contents; its exit status. */
static int
verify_artifact (Fixture    *f,
                 const char *contents,
                 const char *option,
                 char      **out_stdout)
{
  g_autofree char *path = g_build_filename (f->ct.tmp_dir, "artifact.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { g_getenv ("CROSSING_COMPANION"), "verify-artifact", path, option, NULL };
  int status;

  g_assert_nonnull (argv[0]);
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out_stdout, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_unlink (path));
  g_test_message ("verify-artifact: %s", err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* ---- tests --------------------------------------------------------------- */

static void
test_envelope (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (&f->ct, "login", "\"adapterId\":\"webauthn\"");
  g_autoptr(JsonNode) envelope = NULL;
  g_autofree char *challenge = NULL;
  JsonObject *webauthn;

  g_assert_cmpstr (order->adapter_id, ==, "webauthn");
  ct_order_claim (&f->ct, order);
  envelope = ct_order_challenge (&f->ct, order);
  g_assert_cmpstr (ct_json_string (json_node_get_object (envelope), "adapterId"), ==, "webauthn");
  webauthn = ct_json_object (json_node_get_object (envelope), "webauthn");
  challenge = companion_webauthn_challenge_for_message (order->message);
  g_assert_cmpstr (ct_json_string (webauthn, "rpId"), ==, "localhost");
  g_assert_cmpstr (ct_json_string (webauthn, "challenge"), ==, challenge);
  g_assert_cmpstr (ct_json_string (webauthn, "userVerification"), ==, "required");
  g_assert_cmpint (ct_json_int (webauthn, "timeout"), ==, 60000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (webauthn,
                                                                         "allowCredentials")),
                    ==, 0);
}

/* Neither https nor localhost, an IP address, an rpId that is not the host's. */
static void
test_start_needs_secure_context (Fixture       *f,
                                 gconstpointer  data)
{
  const struct {
    const char *scheme;
    const char *host;
    const char *rp_id;
    const char *says;
  } cases[] = {
    { "http", "127.0.0.1", NULL, "IP address" },
    { "https", "127.0.0.1", NULL, "IP address" },
    { "http", "crossing.example", NULL, "https" },
    { "https", "crossing.example", "other.example", "--rp-id" },
    { "https", "login.crossing.example", "example", "--rp-id" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CtResponse) response = NULL;
      const char *message;

      use_public_host (f, cases[i].scheme, cases[i].host);
      g_free (f->ct.config->rp_id);
      f->ct.config->rp_id = g_strdup (cases[i].rp_id);
      response = ct_post_printf (&f->ct, "start",
                                 "{\"kind\":\"login\",\"adapterId\":\"webauthn\"}");
      message = ct_response_assert_error (response, 400, "UNSUPPORTED_ADAPTER");
      g_assert_nonnull (strstr (message, cases[i].says));
    }

  /* A parent domain is a fine rpId; the envelope names it. */
  use_public_host (f, "https", "login.crossing.example");
  g_free (f->ct.config->rp_id);
  f->ct.config->rp_id = g_strdup ("crossing.example");
  {
    g_autoptr(CtOrder) order = ct_order_start (&f->ct, "login", "\"adapterId\":\"webauthn\"");
    g_autoptr(JsonNode) envelope = NULL;

    ct_order_claim (&f->ct, order);
    envelope = ct_order_challenge (&f->ct, order);
    g_assert_cmpstr (ct_json_string (ct_json_object (json_node_get_object (envelope), "webauthn"),
                                     "rpId"), ==, "crossing.example");
  }
}

/* First approval creates the passkey and signs in a new user; the second
 * gets it and signs in as the same user. */
static void
test_create_then_get_same_user (Fixture       *f,
                                gconstpointer  data)
{
  Passkey passkey;
  g_autoptr(CtResponse) first_session = NULL;
  g_autoptr(CtResponse) second_session = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *name = NULL;
  JsonObject *user, *again, *flags;

  passkey_init (&passkey, 1, FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS);
  first = login (f, &passkey, TRUE);
  user = get_session (f, first, &first_session);
  subject = g_strconcat ("passkey:", passkey.credential_id, NULL);
  name = g_strndup (subject, strlen ("passkey:") + 16);
  g_assert_cmpstr (ct_json_string (user, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (user, "name"), ==, name);
  flags = ct_json_object (user, "passkey");
  g_assert_true (ct_json_bool (flags, "backupEligible"));
  g_assert_true (ct_json_bool (flags, "backupState"));

  second = login (f, &passkey, FALSE);
  g_assert_cmpstr (second, !=, first);
  again = get_session (f, second, &second_session);
  g_assert_cmpstr (ct_json_string (again, "id"), ==, ct_json_string (user, "id"));
  g_assert_cmpstr (ct_json_string (again, "subject"), ==, subject);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CompanionPasskey) stored = companion_store_get_passkey (
      ct_fixture_get_store (&f->ct), passkey.credential_id, &error);

    g_assert_no_error (error);
    g_assert_cmpint (stored->alg, ==, -8);
    g_assert_cmpuint (stored->sign_count, ==, 1);
    g_assert_cmpstr (stored->transports, ==, "internal,hybrid");
    g_assert_cmpstr (stored->attestation_format, ==, "none");
    g_assert_cmpint (stored->last_used_at, >, 0);
  }
  passkey_clear (&passkey);
}

/* A device-bound passkey says so on the desktop. */
static void
test_device_bound_flags (Fixture       *f,
                         gconstpointer  data)
{
  Passkey passkey;
  g_autoptr(CtResponse) session = NULL;
  g_autofree char *token = NULL;
  JsonObject *flags;

  passkey_init (&passkey, 2, FLAG_UP | FLAG_UV);
  token = login (f, &passkey, TRUE);
  flags = ct_json_object (get_session (f, token, &session), "passkey");
  g_assert_false (ct_json_bool (flags, "backupEligible"));
  g_assert_false (ct_json_bool (flags, "backupState"));
  passkey_clear (&passkey);
}

/* Each tampered field, each refused with 401 and a log line naming the
 * check; the order waits on and a good answer still approves it. */
static void
test_refusals_change_nothing (Fixture       *f,
                              gconstpointer  data)
{
  Passkey passkey, stranger;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtOrder) other = NULL;
  g_autofree char *token = NULL;
  guint32 count_before;

  passkey_init (&passkey, 3, FLAG_UP | FLAG_UV);
  passkey_init (&stranger, 4, FLAG_UP | FLAG_UV);
  token = login (f, &passkey, TRUE);
  /* A count that is not zero any more, so a replay shows. */
  g_free (login (f, &passkey, FALSE));
  order = waiting_order (f, "login");
  other = waiting_order (f, "login");
  count_before = passkey.sign_count;
  g_assert_cmpuint (count_before, ==, 1);

#define REFUSED_GET(check, ...) \
  G_STMT_START { \
    g_autofree char *proof = get_proof (f, &passkey, order->message, &(Tamper) { __VA_ARGS__ }); \
    assert_refused (f, order, proof, check); \
  } G_STMT_END

  REFUSED_GET ("type", .type = "webauthn.create");
  REFUSED_GET ("challenge", .message = other->message);
  REFUSED_GET ("origin", .origin = "http://localhost:1");
  REFUSED_GET ("cross-origin", .cross_origin = TRUE);
  REFUSED_GET ("user-present", .clear_flags = FLAG_UP);
  REFUSED_GET ("user-verified", .clear_flags = FLAG_UV);
  /* What was signed before is replayed: the sign count did not grow. */
  passkey.sign_count = count_before;
  REFUSED_GET ("sign-count", .same_count = TRUE);
#undef REFUSED_GET

  {
    g_autofree char *proof = get_proof (f, &stranger, order->message, &(Tamper) { 0, });

    assert_refused (f, order, proof, "unknown-credential");
  }
  {
    /* The same passkey registered twice. */
    g_autofree char *proof = create_proof (f, &passkey, order->message, &(Tamper) { 0, });

    assert_refused (f, order, proof, "already-registered");
  }
  {
    /* Another relying party's passkey answer. */
    g_autofree char *saved = g_strdup (f->rp_id);
    g_autofree char *proof = NULL;

    g_free (f->rp_id);
    f->rp_id = g_strdup ("evil.example");
    proof = get_proof (f, &passkey, order->message, &(Tamper) { 0, });
    g_free (f->rp_id);
    f->rp_id = g_steal_pointer (&saved);
    assert_refused (f, order, proof, "rp-id-hash");
  }
  {
    /* An ed25519 proof on a passkey order. */
    g_autoptr(CtResponse) response = NULL;

    g_test_expect_message ("companion-webauthn", G_LOG_LEVEL_MESSAGE,
                           "*passkey proof refused: malformed*");
    response = send_approve (f, order, "{\"publicKeyHex\":\"00\",\"signatureHex\":\"00\"}");
    g_test_assert_expected_messages ();
    ct_response_assert_error (response, 401, "INVALID_PROOF");
  }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CompanionPasskey) stored = companion_store_get_passkey (
      ct_fixture_get_store (&f->ct), passkey.credential_id, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (stored->sign_count, ==, count_before);
  }

  passkey.sign_count = count_before;
  {
    g_autofree char *proof = get_proof (f, &passkey, order->message, &(Tamper) { 0, });

    approve_ok (f, order, proof);
  }
  passkey_clear (&passkey);
  passkey_clear (&stranger);
}

/* A passkey answer on an ed25519 order is not one. */
static void
test_passkey_proof_on_ed25519_order (Fixture       *f,
                                     gconstpointer  data)
{
  Passkey passkey;
  g_autoptr(CtOrder) order = ct_order_start (&f->ct, "login", NULL);
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *proof = NULL;

  passkey_init (&passkey, 5, FLAG_UP | FLAG_UV);
  ct_order_claim (&f->ct, order);
  ct_order_read_check_code (&f->ct, order);
  envelope = ct_order_challenge (&f->ct, order);
  g_assert_false (json_object_has_member (json_node_get_object (envelope), "webauthn"));
  proof = create_proof (f, &passkey, order->message, &(Tamper) { 0, });
  response = send_approve (f, order, proof);
  ct_response_assert_error (response, 401, "INVALID_PROOF");
  g_assert_cmpstr (order_status (f, order), ==, "waiting_user");
  passkey_clear (&passkey);
}

/* Registration closed: a new passkey cannot sign in, and is not kept. */
static void
test_closed_registration (Fixture       *f,
                          gconstpointer  data)
{
  Passkey passkey;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionPasskey) stored = NULL;
  g_autofree char *proof = NULL;

  f->ct.config->registration_open = FALSE;
  passkey_init (&passkey, 6, FLAG_UP | FLAG_UV);
  order = waiting_order (f, "login");
  proof = create_proof (f, &passkey, order->message, &(Tamper) { 0, });
  response = send_approve (f, order, proof);
  ct_response_assert_error (response, 401, "UNABLE_TO_RESOLVE_APPROVED_LOGIN");
  stored = companion_store_get_passkey (ct_fixture_get_store (&f->ct), passkey.credential_id,
                                        &error);
  g_assert_null (stored);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  passkey_clear (&passkey);
}

/* A sign order's artifact carries the assertion and the COSE key, and
 * checks out with the verifier alone. */
static void
test_sign_artifact (Fixture       *f,
                    gconstpointer  data)
{
  Passkey passkey;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) response = NULL;
  g_autoptr(CtResponse) again = NULL;
  g_autoptr(CompanionWebauthnAssertion) assertion = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *proof = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *subject = NULL;
  CompanionWebauthnExpected expected;
  JsonObject *artifact;

  passkey_init (&passkey, 7, FLAG_UP | FLAG_UV | FLAG_BE);
  token = login (f, &passkey, TRUE);
  order = waiting_order (f, "sign");
  proof = get_proof (f, &passkey, order->message, &(Tamper) { 0, });
  approve_ok (f, order, proof);
  response = ct_order_finalize (&f->ct, order);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  artifact = ct_json_object (ct_response_object (response), "proofArtifact");

  subject = g_strconcat ("passkey:", passkey.credential_id, NULL);
  g_assert_cmpstr (ct_json_string (artifact, "adapterId"), ==, "webauthn");
  g_assert_cmpstr (ct_json_string (artifact, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (artifact, "message"), ==, order->message);
  g_assert_cmpstr (ct_json_string (artifact, "credentialId"), ==, passkey.credential_id);
  g_assert_cmpint (ct_json_int (artifact, "alg"), ==, -8);
  g_assert_false (json_object_has_member (artifact, "publicKeyHex"));

  challenge = companion_webauthn_challenge_for_message (ct_json_string (artifact, "message"));
  expected = (CompanionWebauthnExpected) { f->rp_id, f->origin, challenge };
  assertion = companion_webauthn_assertion_new (&expected,
                                                ct_json_string (artifact, "clientDataJSON"),
                                                ct_json_string (artifact, "authenticatorData"),
                                                ct_json_string (artifact, "signature"), &error);
  g_assert_no_error (error);
  key = companion_webauthn_decode_field (ct_json_string (artifact, "publicKeyCose"), "key", NULL);
  g_assert_true (companion_webauthn_assertion_verify (assertion, ct_json_int (artifact, "alg"),
                                                      key, 0, &error));
  g_assert_no_error (error);

  /* crossing-companion verify-artifact agrees, on the whole answer... */
  {
    g_autofree char *body = g_strndup (g_bytes_get_data (response->body, NULL),
                                       g_bytes_get_size (response->body));
    g_autofree char *out = NULL;
    g_autofree char *origin_option = g_strconcat ("--origin=", f->origin, NULL);
    g_autofree char *tampered = NULL;
    g_auto(GStrv) parts = NULL;

    g_assert_cmpint (verify_artifact (f, body, NULL, &out), ==, 0);
    g_assert_true (g_str_has_prefix (out, "OK: passkey:"));
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (verify_artifact (f, body, origin_option, &out), ==, 0);
    g_clear_pointer (&out, g_free);
    /* ...and not for another origin, relying party or message. */
    g_assert_cmpint (verify_artifact (f, body, "--origin=https://localhost", &out), ==, 1);
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (verify_artifact (f, body, "--rp-id=example.org", &out), ==, 1);
    g_clear_pointer (&out, g_free);
    parts = g_strsplit (body, "kind: sign", 2);
    g_assert_cmpuint (g_strv_length (parts), ==, 2);
    tampered = g_strjoinv ("kind: login", parts);
    g_assert_cmpint (verify_artifact (f, tampered, NULL, &out), ==, 1);
  }

  /* A repeat returns the same artifact. */
  again = ct_order_finalize (&f->ct, order);
  g_assert_cmpuint (again->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (again), "proofArtifact"),
                                   "signature"), ==, ct_json_string (artifact, "signature"));
  passkey_clear (&passkey);
}

/* Malformed answers are refused with the contract's codes, never a crash. */
static void
test_malformed_answers (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CtOrder) order = waiting_order (f, "login");
  const struct {
    const char *proof;
    guint       status;
    const char *code;
  } cases[] = {
    { "{\"type\":\"webauthn.get\"}", 400, "INVALID_REQUEST" },
    { "{\"type\":\"webauthn.get\",\"credentialId\":1}", 400, "INVALID_REQUEST" },
    { "{\"type\":\"webauthn.create\",\"credentialId\":\"AA\",\"clientDataJSON\":\"AA\","
      "\"attestationObject\":\"AA\",\"transports\":[\"USB!\"]}", 400, "INVALID_REQUEST" },
    { "{\"type\":\"webauthn.create\",\"credentialId\":\"AA\",\"clientDataJSON\":\"AA\","
      "\"attestationObject\":\"AA\",\"transports\":\"usb\"}", 400, "INVALID_REQUEST" },
    { "{\"type\":\"webauthn.get\",\"credentialId\":\"A=\",\"clientDataJSON\":\"e30\","
      "\"authenticatorData\":\"AA\",\"signature\":\"AA\"}", 401, "INVALID_PROOF" },
    { "{\"type\":\"webauthn.get\",\"credentialId\":\"AA\",\"clientDataJSON\":\"e30\","
      "\"authenticatorData\":\"AA\",\"signature\":\"AA\"}", 401, "INVALID_PROOF" },
    { "{\"type\":\"webauthn.create\",\"credentialId\":\"AA\",\"clientDataJSON\":\"bm90IGpzb24\","
      "\"attestationObject\":\"oA\"}", 401, "INVALID_PROOF" },
    { "{\"type\":\"webauthn.sign\",\"credentialId\":\"AA\",\"clientDataJSON\":\"e30\","
      "\"authenticatorData\":\"AA\",\"signature\":\"AA\"}", 401, "INVALID_PROOF" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CtResponse) response = NULL;

      if (cases[i].status == 401)
        g_test_expect_message ("companion-webauthn", G_LOG_LEVEL_MESSAGE,
                               "*passkey proof refused:*");
      response = send_approve (f, order, cases[i].proof);
      if (cases[i].status == 401)
        g_test_assert_expected_messages ();
      ct_response_assert_error (response, cases[i].status, cases[i].code);
      g_assert_cmpstr (order_status (f, order), ==, "waiting_user");
    }
}

/* users list names each subject's kind, passkeys synced or not. */
static void
test_users_list (Fixture       *f,
                 gconstpointer  data)
{
  Passkey synced, device;
  g_autoptr(CtOrder) order = ct_order_start (&f->ct, "login", NULL);
  g_autoptr(CtResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *line = NULL;
  g_autofree char *ed25519 = NULL;
  const char *argv[] = { g_getenv ("CROSSING_COMPANION"), "users", "list", "--db",
                         f->ct.db_path, NULL };
  int status;

  g_assert_nonnull (argv[0]);
  passkey_init (&synced, 8, FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS);
  passkey_init (&device, 9, FLAG_UP | FLAG_UV);
  g_free (login (f, &synced, TRUE));
  g_free (login (f, &device, TRUE));
  ct_order_approve (&f->ct, order);
  response = ct_order_finalize (&f->ct, order);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);

  line = g_strdup_printf ("passkey:%s\t\tpasskey (synced)\n", synced.credential_id);
  g_assert_nonnull (strstr (out, line));
  g_free (line);
  line = g_strdup_printf ("passkey:%s\t\tpasskey (this device only)\n", device.credential_id);
  g_assert_nonnull (strstr (out, line));
  ed25519 = g_strdup_printf ("ed25519:%s\t\ted25519\n", order->public_key_hex);
  g_assert_nonnull (strstr (out, ed25519));
  passkey_clear (&synced);
  passkey_clear (&device);
}

/* verify-artifact reads the key adapters' artifacts too. */
static void
test_verify_ed25519_artifact (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (&f->ct, "sign", NULL);
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *body = NULL;
  g_autofree char *out = NULL;
  g_autofree char *tampered = NULL;
  g_auto(GStrv) parts = NULL;

  ct_order_approve (&f->ct, order);
  response = ct_order_finalize (&f->ct, order);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  body = g_strndup (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body));
  g_assert_cmpint (verify_artifact (f, body, NULL, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "OK: ed25519:"));
  g_clear_pointer (&out, g_free);
  parts = g_strsplit (body, "kind: sign", 2);
  tampered = g_strjoinv ("kind: login", parts);
  g_assert_cmpint (verify_artifact (f, tampered, NULL, &out), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (verify_artifact (f, "{\"proofArtifact\": 1}", NULL, &out), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (verify_artifact (f, "not json", NULL, &out), ==, 1);
}

/* An order identified by a passkey subject: the envelope allows only that
 * credential, another passkey is a subject mismatch, the right one approves. */
static void
test_identified_by_passkey (Fixture       *f,
                            gconstpointer  data)
{
  Passkey mine, other;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtResponse) mismatch = NULL;
  g_autoptr(CtResponse) wrong_adapter = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *proof = NULL;
  g_autofree char *subject = NULL;
  JsonArray *allowed;
  JsonObject *credential;

  passkey_init (&mine, 10, FLAG_UP | FLAG_UV);
  passkey_init (&other, 11, FLAG_UP | FLAG_UV);
  g_free (login (f, &mine, TRUE));
  g_free (login (f, &other, TRUE));

  subject = g_strconcat ("passkey:", mine.credential_id, NULL);
  /* A passkey subject signs with a passkey only. */
  wrong_adapter = ct_post_printf (&f->ct, "start",
                                  "{\"kind\":\"sign\",\"adapterId\":\"ed25519\","
                                  "\"subject\":\"%s\"}", subject);
  ct_response_assert_error (wrong_adapter, 400, "UNSUPPORTED_ADAPTER");

  /* The adapter follows from the subject. */
  extra = g_strdup_printf ("\"subject\":\"%s\"", subject);
  order = ct_order_start (&f->ct, "sign", extra);
  g_assert_cmpstr (order->adapter_id, ==, "webauthn");
  ct_order_claim (&f->ct, order);
  ct_order_read_check_code (&f->ct, order);
  envelope = ct_order_challenge (&f->ct, order);
  allowed = json_object_get_array_member (ct_json_object (json_node_get_object (envelope),
                                                          "webauthn"), "allowCredentials");
  g_assert_cmpuint (json_array_get_length (allowed), ==, 1);
  credential = json_array_get_object_element (allowed, 0);
  g_assert_cmpstr (ct_json_string (credential, "type"), ==, "public-key");
  g_assert_cmpstr (ct_json_string (credential, "id"), ==, mine.credential_id);

  proof = get_proof (f, &other, order->message, &(Tamper) { 0, });
  mismatch = send_approve (f, order, proof);
  ct_response_assert_error (mismatch, 403, "SUBJECT_MISMATCH");
  g_assert_cmpstr (order_status (f, order), ==, "waiting_user");
  g_clear_pointer (&proof, g_free);

  proof = get_proof (f, &mine, order->message, &(Tamper) { 0, });
  approve_ok (f, order, proof);
  passkey_clear (&mine);
  passkey_clear (&other);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/webauthn-adapter/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("envelope-has-the-webauthn-block", test_envelope);
  ADD ("start-needs-a-secure-context-and-a-host-name", test_start_needs_secure_context);
  ADD ("create-then-get-sign-in-as-the-same-user", test_create_then_get_same_user);
  ADD ("device-bound-passkey-not-synced", test_device_bound_flags);
  ADD ("each-refusal-names-its-check-and-changes-nothing", test_refusals_change_nothing);
  ADD ("passkey-answer-on-an-ed25519-order-refused", test_passkey_proof_on_ed25519_order);
  ADD ("closed-registration-keeps-no-passkey", test_closed_registration);
  ADD ("sign-artifact-verifies-offline-with-verify-artifact", test_sign_artifact);
  ADD ("malformed-answers-refused", test_malformed_answers);
  ADD ("users-list-names-each-kind", test_users_list);
  ADD ("verify-artifact-reads-ed25519-artifacts", test_verify_ed25519_artifact);
  ADD ("identified-by-a-passkey", test_identified_by_passkey);

  return g_test_run ();
}
