/* companion-webauthn.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-webauthn"

#include "config.h"

#include <cbor.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <json-glib/json-glib.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>

#include "crossing-json.h"
#include "crossing-token.h"

#include "companion-webauthn.h"

/* Fixed part of authenticator data: rpIdHash, flags, signCount. */
#define AUTH_DATA_FIXED_BYTES   37
#define AAGUID_BYTES            16
/* clientDataJSON is a flat object; tokenBinding nests one level more. */
#define CLIENT_DATA_MAX_DEPTH   4

/* COSE key labels and values (RFC 9052, RFC 9053). */
#define COSE_LABEL_KTY          1
#define COSE_LABEL_ALG          3
#define COSE_LABEL_CRV          (-1)    /* RSA: n */
#define COSE_LABEL_X            (-2)    /* RSA: e */
#define COSE_LABEL_Y            (-3)
#define COSE_KTY_OKP            1
#define COSE_KTY_EC2            2
#define COSE_KTY_RSA            3
#define COSE_CRV_P256           1
#define COSE_CRV_ED25519        6

G_DEFINE_QUARK (companion-webauthn-error-quark, companion_webauthn_error)

static const char *const check_names[] = {
  [COMPANION_WEBAUTHN_ERROR_MALFORMED] = "malformed",
  [COMPANION_WEBAUTHN_ERROR_TYPE] = "type",
  [COMPANION_WEBAUTHN_ERROR_CHALLENGE] = "challenge",
  [COMPANION_WEBAUTHN_ERROR_ORIGIN] = "origin",
  [COMPANION_WEBAUTHN_ERROR_CROSS_ORIGIN] = "cross-origin",
  [COMPANION_WEBAUTHN_ERROR_RP_ID_HASH] = "rp-id-hash",
  [COMPANION_WEBAUTHN_ERROR_USER_PRESENT] = "user-present",
  [COMPANION_WEBAUTHN_ERROR_USER_VERIFIED] = "user-verified",
  [COMPANION_WEBAUTHN_ERROR_ALGORITHM] = "algorithm",
  [COMPANION_WEBAUTHN_ERROR_CREDENTIAL_ID] = "credential-id",
  [COMPANION_WEBAUTHN_ERROR_ALREADY_REGISTERED] = "already-registered",
  [COMPANION_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL] = "unknown-credential",
  [COMPANION_WEBAUTHN_ERROR_SIGNATURE] = "signature",
  [COMPANION_WEBAUTHN_ERROR_SIGN_COUNT] = "sign-count",
};

const char *
companion_webauthn_check_name (CompanionWebauthnError code)
{
  if ((guint) code >= G_N_ELEMENTS (check_names))
    return "unknown";
  return check_names[code];
}

static gboolean
fail (GError                **error,
      CompanionWebauthnError  code,
      const char             *message)
{
  g_set_error_literal (error, COMPANION_WEBAUTHN_ERROR, code, message);
  return FALSE;
}

char *
companion_webauthn_encode_field (const guint8 *data,
                                 gsize         len)
{
  gsize encoded_len = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = g_malloc (encoded_len);

  sodium_bin2base64 (out, encoded_len, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

GBytes *
companion_webauthn_decode_field (const char  *value,
                                 const char  *field,
                                 GError     **error)
{
  g_autofree guint8 *bytes = NULL;
  const char *end = NULL;
  gsize value_len;
  gsize len = 0;

  crossing_crypto_init ();

  if (value == NULL || *value == '\0')
    {
      g_set_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED,
                   "%s is missing", field);
      return NULL;
    }

  value_len = strlen (value);
  bytes = g_malloc (value_len / 4 * 3 + 3);
  if (sodium_base642bin (bytes, value_len / 4 * 3 + 3, value, value_len, NULL, &len, &end,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != value + value_len || len == 0)
    {
      g_set_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED,
                   "%s is not base64url without padding", field);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&bytes), len);
}

char *
companion_webauthn_challenge_for_message (const char *message)
{
  guint8 digest[crypto_hash_sha256_BYTES];

  g_return_val_if_fail (message != NULL, NULL);

  crossing_crypto_init ();
  crypto_hash_sha256 (digest, (const guint8 *) message, strlen (message));
  return companion_webauthn_encode_field (digest, sizeof digest);
}

/* CBOR ------------------------------------------------------------------------ */

/* libcbor 0.8's cbor_load() allocates a definite array or map for the
 * length its header declares before it reads one element: 30 bytes
 * declaring 2^31 elements asked it for 13 GB. So the declared lengths are
 * read first with libcbor's own streaming decoder, which allocates nothing:
 * each element takes at least one byte, so no length may exceed the bytes
 * left. (Found by tests/fuzz/fuzz-webauthn.c.) */
typedef struct {
  gsize    remaining;
  gboolean plausible;
} SizeCheck;

static void
check_array_start (void   *context,
                   size_t  size)
{
  SizeCheck *check = context;

  if (size > check->remaining)
    check->plausible = FALSE;
}

static void
check_map_start (void   *context,
                 size_t  size)
{
  SizeCheck *check = context;

  if (size > check->remaining / 2)
    check->plausible = FALSE;
}

static gboolean
cbor_lengths_are_plausible (const guint8 *data,
                            gsize         len)
{
  struct cbor_callbacks callbacks = cbor_empty_callbacks;
  SizeCheck check = { 0, TRUE };
  gsize pos = 0;

  callbacks.array_start = check_array_start;
  callbacks.map_start = check_map_start;
  /* Up to the end or the first thing that is not CBOR: cbor_load() stops
   * there too, having allocated only for what came before. */
  while (pos < len && check.plausible)
    {
      struct cbor_decoder_result result;

      check.remaining = len - pos;
      result = cbor_stream_decode (data + pos, len - pos, &callbacks, &check);
      if (result.status != CBOR_DECODER_FINISHED || result.read == 0)
        break;
      pos += result.read;
    }
  return check.plausible;
}

/* One CBOR item at @data, of at most @len bytes; its length in @out_read. */
static cbor_item_t *
load_one (const guint8 *data,
          gsize         len,
          gsize        *out_read)
{
  struct cbor_load_result result;
  cbor_item_t *item;

  if (len == 0 || !cbor_lengths_are_plausible (data, len))
    return NULL;
  item = cbor_load (data, len, &result);
  if (item != NULL)
    *out_read = result.read;
  return item;
}

/* COSE keys ---------------------------------------------------------------- */

/* A CBOR integer that fits an int (COSE labels, kty, alg, crv). */
static gboolean
cbor_to_int (cbor_item_t *item,
             int         *out)
{
  uint64_t value;

  if (!cbor_isa_uint (item) && !cbor_isa_negint (item))
    return FALSE;
  value = cbor_get_int (item);
  if (value > G_MAXINT)
    return FALSE;
  *out = cbor_isa_uint (item) ? (int) value : -1 - (int) value;
  return TRUE;
}

static GBytes *
cbor_to_bytes (cbor_item_t *item)
{
  if (!cbor_isa_bytestring (item) || !cbor_bytestring_is_definite (item))
    return NULL;
  return g_bytes_new (cbor_bytestring_handle (item), cbor_bytestring_length (item));
}

typedef struct {
  int     kty;
  int     alg;
  int     crv;
  GBytes *x;    /* RSA: n */
  GBytes *y;    /* RSA: e */
} CoseKey;

static void
cose_key_clear (CoseKey *key)
{
  g_clear_pointer (&key->x, g_bytes_unref);
  g_clear_pointer (&key->y, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CoseKey, cose_key_clear)

/* The labels this adapter reads, each at most once; others are ignored
 * (RFC 9052 §7: a recipient ignores labels it does not know). */
static gboolean
cose_key_read (cbor_item_t *map,
               CoseKey     *key)
{
  struct cbor_pair *pairs;
  gboolean seen_kty = FALSE, seen_alg = FALSE, seen_crv = FALSE;
  gboolean is_rsa;

  if (!cbor_isa_map (map) || !cbor_map_is_definite (map))
    return FALSE;

  /* kty decides how -1 and -2 read, so find it first. */
  pairs = cbor_map_handle (map);
  key->kty = 0;
  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      int label;

      if (!cbor_to_int (pairs[i].key, &label))
        return FALSE;
      if (label == COSE_LABEL_KTY)
        {
          if (seen_kty || !cbor_to_int (pairs[i].value, &key->kty))
            return FALSE;
          seen_kty = TRUE;
        }
    }
  if (!seen_kty)
    return FALSE;
  is_rsa = key->kty == COSE_KTY_RSA;

  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      int label;

      cbor_to_int (pairs[i].key, &label);
      switch (label)
        {
        case COSE_LABEL_ALG:
          if (seen_alg || !cbor_to_int (pairs[i].value, &key->alg))
            return FALSE;
          seen_alg = TRUE;
          break;
        case COSE_LABEL_CRV:
          if (is_rsa)
            {
              if (key->x != NULL || (key->x = cbor_to_bytes (pairs[i].value)) == NULL)
                return FALSE;
            }
          else
            {
              if (seen_crv || !cbor_to_int (pairs[i].value, &key->crv))
                return FALSE;
              seen_crv = TRUE;
            }
          break;
        case COSE_LABEL_X:
          if (is_rsa)
            {
              if (key->y != NULL || (key->y = cbor_to_bytes (pairs[i].value)) == NULL)
                return FALSE;
            }
          else if (key->x != NULL || (key->x = cbor_to_bytes (pairs[i].value)) == NULL)
            {
              return FALSE;
            }
          break;
        case COSE_LABEL_Y:
          if (!is_rsa && (key->y != NULL || (key->y = cbor_to_bytes (pairs[i].value)) == NULL))
            return FALSE;
          break;
        default:
          break;
        }
    }
  if (!seen_alg)
    key->alg = 0;
  return TRUE;
}

/* A libfido2 key of the COSE key's algorithm: es256_pk_t, eddsa_pk_t or
 * rs256_pk_t. */
typedef struct {
  int      alg;
  gpointer pk;
} FidoKey;

static void
fido_key_clear (FidoKey *key)
{
  switch (key->alg)
    {
    case COMPANION_WEBAUTHN_ALG_ES256:
      es256_pk_free ((es256_pk_t **) &key->pk);
      break;
    case COMPANION_WEBAUTHN_ALG_EDDSA:
      eddsa_pk_free ((eddsa_pk_t **) &key->pk);
      break;
    case COMPANION_WEBAUTHN_ALG_RS256:
      rs256_pk_free ((rs256_pk_t **) &key->pk);
      break;
    default:
      g_assert (key->pk == NULL);
      break;
    }
  key->alg = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FidoKey, fido_key_clear)

static gboolean
bytes_have_len (GBytes *bytes,
                gsize   len)
{
  return bytes != NULL && g_bytes_get_size (bytes) == len;
}

/* OpenSSL builds the RSA key from n and e; libfido2 takes it from there
 * (it holds 2048-bit moduli, as every RS256 authenticator uses). */
static gboolean
rs256_key_from_cose (const CoseKey *cose,
                     rs256_pk_t    *pk)
{
  g_autoptr(GBytes) none = NULL;
  OSSL_PARAM_BLD *builder = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *pkey = NULL;
  BIGNUM *n = NULL, *e = NULL;
  gboolean ok = FALSE;
  gsize n_len, e_len;
  const guint8 *n_data, *e_data;

  if (cose->x == NULL || cose->y == NULL)
    return FALSE;
  n_data = g_bytes_get_data (cose->x, &n_len);
  e_data = g_bytes_get_data (cose->y, &e_len);
  if (n_len == 0 || n_len > 1024 || e_len == 0 || e_len > 8)
    return FALSE;

  n = BN_bin2bn (n_data, (int) n_len, NULL);
  e = BN_bin2bn (e_data, (int) e_len, NULL);
  builder = OSSL_PARAM_BLD_new ();
  if (n == NULL || e == NULL || builder == NULL ||
      !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_N, n) ||
      !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_E, e) ||
      (params = OSSL_PARAM_BLD_to_param (builder)) == NULL)
    goto out;
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  if (ctx == NULL || EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    goto out;
  ok = rs256_pk_from_EVP_PKEY (pk, pkey) == FIDO_OK;

out:
  EVP_PKEY_free (pkey);
  EVP_PKEY_CTX_free (ctx);
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (builder);
  BN_free (n);
  BN_free (e);
  return ok;
}

/* The key in @cose_bytes as libfido2's key for @alg. ALGORITHM when the key
 * is not of an offered algorithm (or not of @alg), MALFORMED when it is not
 * a usable key (e.g. a point off the curve). */
static gboolean
fido_key_from_cose (GBytes   *cose_bytes,
                    int       alg,
                    FidoKey  *out,
                    GError  **error)
{
  g_auto(CoseKey) cose = { 0, };
  cbor_item_t *item;
  gsize len, item_len = 0;
  const guint8 *data = g_bytes_get_data (cose_bytes, &len);
  gboolean read;

  item = load_one (data, len, &item_len);
  if (item == NULL)
    return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "The COSE key is not CBOR");
  read = item_len == len && cose_key_read (item, &cose);
  cbor_decref (&item);
  if (!read)
    return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "The COSE key is malformed");

  if (cose.alg != alg || (alg != COMPANION_WEBAUTHN_ALG_ES256 &&
                          alg != COMPANION_WEBAUTHN_ALG_EDDSA &&
                          alg != COMPANION_WEBAUTHN_ALG_RS256))
    return fail (error, COMPANION_WEBAUTHN_ERROR_ALGORITHM,
                 "The key's algorithm is not ES256, EdDSA or RS256");

  out->alg = alg;
  switch (alg)
    {
    case COMPANION_WEBAUTHN_ALG_ES256:
      {
        guint8 point[65] = { 0x04, };

        out->pk = es256_pk_new ();
        if (cose.kty != COSE_KTY_EC2 || cose.crv != COSE_CRV_P256 ||
            !bytes_have_len (cose.x, 32) || !bytes_have_len (cose.y, 32))
          break;
        memcpy (point + 1, g_bytes_get_data (cose.x, NULL), 32);
        memcpy (point + 33, g_bytes_get_data (cose.y, NULL), 32);
        /* libfido2 refuses a point that is not on P-256. */
        if (es256_pk_from_ptr (out->pk, point, sizeof point) == FIDO_OK)
          return TRUE;
        break;
      }
    case COMPANION_WEBAUTHN_ALG_EDDSA:
      out->pk = eddsa_pk_new ();
      if (cose.kty != COSE_KTY_OKP || cose.crv != COSE_CRV_ED25519 || !bytes_have_len (cose.x, 32))
        break;
      if (eddsa_pk_from_ptr (out->pk, g_bytes_get_data (cose.x, NULL), 32) == FIDO_OK)
        return TRUE;
      break;
    case COMPANION_WEBAUTHN_ALG_RS256:
      out->pk = rs256_pk_new ();
      if (cose.kty == COSE_KTY_RSA && rs256_key_from_cose (&cose, out->pk))
        return TRUE;
      break;
    default:
      g_assert_not_reached ();
    }
  fido_key_clear (out);
  return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "The COSE key is not a usable key");
}

/* Authenticator data and the attestation object ---------------------------- */

void
companion_webauthn_auth_data_clear (CompanionWebauthnAuthData *auth_data)
{
  g_clear_pointer (&auth_data->credential_id, g_bytes_unref);
  g_clear_pointer (&auth_data->public_key_cose, g_bytes_unref);
}

gboolean
companion_webauthn_parse_auth_data (const guint8               *data,
                                    gsize                       len,
                                    CompanionWebauthnAuthData  *out,
                                    GError                    **error)
{
  gsize pos = AUTH_DATA_FIXED_BYTES;

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);

  if (data == NULL || len < AUTH_DATA_FIXED_BYTES)
    return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "The authenticator data is too short");

  memcpy (out->rp_id_hash, data, sizeof out->rp_id_hash);
  out->flags = data[32];
  out->sign_count = ((guint32) data[33] << 24) | ((guint32) data[34] << 16) |
                    ((guint32) data[35] << 8) | data[36];

  if (out->flags & COMPANION_WEBAUTHN_FLAG_AT)
    {
      g_auto(CoseKey) cose = { 0, };
      cbor_item_t *key;
      gsize id_len, key_len = 0;
      gboolean read;

      if (len - pos < AAGUID_BYTES + 2)
        goto malformed;
      pos += AAGUID_BYTES;
      id_len = ((gsize) data[pos] << 8) | data[pos + 1];
      pos += 2;
      if (id_len == 0 || id_len > len - pos)
        goto malformed;
      out->credential_id = g_bytes_new (data + pos, id_len);
      pos += id_len;

      key = load_one (data + pos, len - pos, &key_len);
      if (key == NULL)
        goto malformed;
      read = cose_key_read (key, &cose);
      cbor_decref (&key);
      if (!read)
        goto malformed;
      out->alg = cose.alg;
      out->public_key_cose = g_bytes_new (data + pos, key_len);
      pos += key_len;
    }

  if (out->flags & COMPANION_WEBAUTHN_FLAG_ED)
    {
      cbor_item_t *extensions;
      gsize extensions_len = 0;
      gboolean is_map;

      extensions = load_one (data + pos, len - pos, &extensions_len);
      if (extensions == NULL)
        goto malformed;
      is_map = cbor_isa_map (extensions);
      cbor_decref (&extensions);
      if (!is_map)
        goto malformed;
      pos += extensions_len;
    }

  if (pos != len)
    goto malformed;
  return TRUE;

malformed:
  companion_webauthn_auth_data_clear (out);
  return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "The authenticator data is malformed");
}

gboolean
companion_webauthn_parse_attestation_object (const guint8               *data,
                                             gsize                       len,
                                             char                      **out_fmt,
                                             CompanionWebauthnAuthData  *out,
                                             GError                    **error)
{
  cbor_item_t *map, *fmt = NULL, *statement = NULL, *auth_data = NULL;
  struct cbor_pair *pairs;
  gsize read = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);

  map = data != NULL ? load_one (data, len, &read) : NULL;
  if (map == NULL || read != len || !cbor_isa_map (map) || !cbor_map_is_definite (map))
    goto out;

  pairs = cbor_map_handle (map);
  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      cbor_item_t **slot = NULL;
      cbor_item_t *key = pairs[i].key;

      if (!cbor_isa_string (key) || !cbor_string_is_definite (key))
        goto out;
#define KEY_IS(name) (cbor_string_length (key) == strlen (name) && \
                      memcmp (cbor_string_handle (key), name, strlen (name)) == 0)
      if (KEY_IS ("fmt"))
        slot = &fmt;
      else if (KEY_IS ("attStmt"))
        slot = &statement;
      else if (KEY_IS ("authData"))
        slot = &auth_data;
#undef KEY_IS
      if (slot == NULL)
        continue;
      if (*slot != NULL)
        goto out;
      *slot = pairs[i].value;
    }

  if (fmt == NULL || !cbor_isa_string (fmt) || !cbor_string_is_definite (fmt) ||
      cbor_string_length (fmt) == 0 || cbor_string_length (fmt) > 32 ||
      statement == NULL || !cbor_isa_map (statement) ||
      auth_data == NULL || !cbor_isa_bytestring (auth_data) ||
      !cbor_bytestring_is_definite (auth_data))
    goto out;

  if (!companion_webauthn_parse_auth_data (cbor_bytestring_handle (auth_data),
                                           cbor_bytestring_length (auth_data), out, error))
    {
      cbor_decref (&map);
      return FALSE;
    }
  if (out_fmt != NULL)
    {
      *out_fmt = g_strndup ((const char *) cbor_string_handle (fmt), cbor_string_length (fmt));
      if (!g_utf8_validate (*out_fmt, -1, NULL))
        {
          g_clear_pointer (out_fmt, g_free);
          companion_webauthn_auth_data_clear (out);
          goto out;
        }
    }
  ok = TRUE;

out:
  if (map != NULL)
    cbor_decref (&map);
  if (!ok)
    return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "The attestation object is malformed");
  return TRUE;
}

/* The checks both ceremonies share ------------------------------------------ */

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* type, challenge, origin, crossOrigin: §7.1 steps 7 to 10, §7.2 steps 11 to 14. */
static gboolean
check_client_data (const CompanionWebauthnExpected  *expected,
                   const char                       *wanted_type,
                   GBytes                           *client_data,
                   GError                          **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *root, *cross_origin;
  gsize len;
  const char *data = g_bytes_get_data (client_data, &len);

  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL) ||
      !crossing_json_is_strict (data, len, CLIENT_DATA_MAX_DEPTH) ||
      !json_parser_load_from_data (parser, data, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED, "clientDataJSON is not a JSON object");
  object = json_node_get_object (root);

  if (g_strcmp0 (string_member (object, "type"), wanted_type) != 0)
    return fail (error, COMPANION_WEBAUTHN_ERROR_TYPE, "clientDataJSON has the wrong type");
  if (g_strcmp0 (string_member (object, "challenge"), expected->challenge) != 0)
    return fail (error, COMPANION_WEBAUTHN_ERROR_CHALLENGE,
                 "clientDataJSON is for another challenge");
  if (g_strcmp0 (string_member (object, "origin"), expected->origin) != 0)
    return fail (error, COMPANION_WEBAUTHN_ERROR_ORIGIN, "clientDataJSON is from another origin");
  cross_origin = json_object_get_member (object, "crossOrigin");
  if (cross_origin != NULL &&
      (json_node_get_value_type (cross_origin) != G_TYPE_BOOLEAN ||
       json_node_get_boolean (cross_origin)))
    return fail (error, COMPANION_WEBAUTHN_ERROR_CROSS_ORIGIN,
                 "clientDataJSON says it came from a cross-origin frame");
  return TRUE;
}

/* rpIdHash, UP, UV. */
static gboolean
check_auth_data (const CompanionWebauthnExpected  *expected,
                 const CompanionWebauthnAuthData  *auth_data,
                 GError                          **error)
{
  guint8 rp_id_hash[crypto_hash_sha256_BYTES];

  crypto_hash_sha256 (rp_id_hash, (const guint8 *) expected->rp_id, strlen (expected->rp_id));
  if (sodium_memcmp (rp_id_hash, auth_data->rp_id_hash, sizeof rp_id_hash) != 0)
    return fail (error, COMPANION_WEBAUTHN_ERROR_RP_ID_HASH,
                 "The authenticator data is for another relying party");
  if (!(auth_data->flags & COMPANION_WEBAUTHN_FLAG_UP))
    return fail (error, COMPANION_WEBAUTHN_ERROR_USER_PRESENT, "The user was not present");
  if (!(auth_data->flags & COMPANION_WEBAUTHN_FLAG_UV))
    return fail (error, COMPANION_WEBAUTHN_ERROR_USER_VERIFIED, "The user was not verified");
  return TRUE;
}

/* Registration ----------------------------------------------------------------- */

void
companion_webauthn_registration_free (CompanionWebauthnRegistration *registration)
{
  if (registration == NULL)
    return;
  g_free (registration->credential_id);
  g_clear_pointer (&registration->public_key_cose, g_bytes_unref);
  g_free (registration->attestation_format);
  g_free (registration);
}

CompanionWebauthnRegistration *
companion_webauthn_registration_new (const CompanionWebauthnExpected  *expected,
                                     const char                       *credential_id,
                                     const char                       *client_data_json,
                                     const char                       *attestation_object,
                                     GError                          **error)
{
  g_autoptr(CompanionWebauthnRegistration) registration = NULL;
  g_auto(CompanionWebauthnAuthData) auth_data = { 0, };
  g_auto(FidoKey) key = { 0, };
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) client_data = NULL;
  g_autoptr(GBytes) attestation = NULL;
  g_autofree char *fmt = NULL;
  int alg;

  g_return_val_if_fail (expected != NULL, NULL);
  g_return_val_if_fail (expected->rp_id != NULL && expected->origin != NULL &&
                        expected->challenge != NULL, NULL);

  if ((id = companion_webauthn_decode_field (credential_id, "credentialId", error)) == NULL ||
      (client_data = companion_webauthn_decode_field (client_data_json, "clientDataJSON",
                                                      error)) == NULL ||
      (attestation = companion_webauthn_decode_field (attestation_object, "attestationObject",
                                                      error)) == NULL)
    return NULL;

  if (!check_client_data (expected, "webauthn.create", client_data, error))
    return NULL;
  if (!companion_webauthn_parse_attestation_object (g_bytes_get_data (attestation, NULL),
                                                    g_bytes_get_size (attestation),
                                                    &fmt, &auth_data, error))
    return NULL;
  if (auth_data.credential_id == NULL)
    {
      fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED,
            "The authenticator data holds no credential");
      return NULL;
    }
  if (!check_auth_data (expected, &auth_data, error))
    return NULL;

  alg = auth_data.alg;
  if (alg != COMPANION_WEBAUTHN_ALG_ES256 && alg != COMPANION_WEBAUTHN_ALG_EDDSA &&
      alg != COMPANION_WEBAUTHN_ALG_RS256)
    {
      fail (error, COMPANION_WEBAUTHN_ERROR_ALGORITHM,
            "The key's algorithm is not ES256, EdDSA or RS256");
      return NULL;
    }
  if (!fido_key_from_cose (auth_data.public_key_cose, alg, &key, error))
    return NULL;

  if (g_bytes_get_size (auth_data.credential_id) > COMPANION_WEBAUTHN_MAX_CREDENTIAL_ID_BYTES)
    {
      fail (error, COMPANION_WEBAUTHN_ERROR_CREDENTIAL_ID,
            "The credential id is longer than 1023 bytes");
      return NULL;
    }
  if (!g_bytes_equal (id, auth_data.credential_id))
    {
      fail (error, COMPANION_WEBAUTHN_ERROR_CREDENTIAL_ID,
            "credentialId is not the credential the authenticator made");
      return NULL;
    }

  registration = g_new0 (CompanionWebauthnRegistration, 1);
  registration->credential_id = companion_webauthn_encode_field (g_bytes_get_data (id, NULL),
                                                                 g_bytes_get_size (id));
  registration->alg = alg;
  registration->public_key_cose = g_steal_pointer (&auth_data.public_key_cose);
  registration->sign_count = auth_data.sign_count;
  registration->flags = auth_data.flags;
  registration->attestation_format = g_steal_pointer (&fmt);
  return g_steal_pointer (&registration);
}

/* Authentication ---------------------------------------------------------------- */

struct _CompanionWebauthnAssertion {
  char    *rp_id;
  GBytes  *client_data;
  GBytes  *auth_data_bytes;
  GBytes  *signature;
  guint8   flags;
  guint32  sign_count;
};

void
companion_webauthn_assertion_free (CompanionWebauthnAssertion *assertion)
{
  if (assertion == NULL)
    return;
  g_free (assertion->rp_id);
  g_clear_pointer (&assertion->client_data, g_bytes_unref);
  g_clear_pointer (&assertion->auth_data_bytes, g_bytes_unref);
  g_clear_pointer (&assertion->signature, g_bytes_unref);
  g_free (assertion);
}

CompanionWebauthnAssertion *
companion_webauthn_assertion_new (const CompanionWebauthnExpected  *expected,
                                  const char                       *client_data_json,
                                  const char                       *authenticator_data,
                                  const char                       *signature,
                                  GError                          **error)
{
  g_autoptr(CompanionWebauthnAssertion) assertion = g_new0 (CompanionWebauthnAssertion, 1);
  g_auto(CompanionWebauthnAuthData) auth_data = { 0, };

  g_return_val_if_fail (expected != NULL, NULL);
  g_return_val_if_fail (expected->rp_id != NULL && expected->origin != NULL &&
                        expected->challenge != NULL, NULL);

  if ((assertion->client_data = companion_webauthn_decode_field (client_data_json,
                                                                 "clientDataJSON",
                                                                 error)) == NULL ||
      (assertion->auth_data_bytes = companion_webauthn_decode_field (authenticator_data,
                                                                     "authenticatorData",
                                                                     error)) == NULL ||
      (assertion->signature = companion_webauthn_decode_field (signature, "signature",
                                                               error)) == NULL)
    return NULL;

  if (!check_client_data (expected, "webauthn.get", assertion->client_data, error))
    return NULL;
  if (!companion_webauthn_parse_auth_data (g_bytes_get_data (assertion->auth_data_bytes, NULL),
                                           g_bytes_get_size (assertion->auth_data_bytes),
                                           &auth_data, error))
    return NULL;
  /* An assertion attests no credential (§6.1: AT is for registrations). */
  if (auth_data.credential_id != NULL)
    {
      fail (error, COMPANION_WEBAUTHN_ERROR_MALFORMED,
            "The authenticator data of an assertion holds a credential");
      return NULL;
    }
  if (!check_auth_data (expected, &auth_data, error))
    return NULL;

  assertion->rp_id = g_strdup (expected->rp_id);
  assertion->flags = auth_data.flags;
  assertion->sign_count = auth_data.sign_count;
  return g_steal_pointer (&assertion);
}

guint8
companion_webauthn_assertion_get_flags (CompanionWebauthnAssertion *assertion)
{
  g_return_val_if_fail (assertion != NULL, 0);
  return assertion->flags;
}

guint32
companion_webauthn_assertion_get_sign_count (CompanionWebauthnAssertion *assertion)
{
  g_return_val_if_fail (assertion != NULL, 0);
  return assertion->sign_count;
}

gboolean
companion_webauthn_assertion_verify (CompanionWebauthnAssertion  *assertion,
                                     int                          alg,
                                     GBytes                      *public_key_cose,
                                     guint32                      stored_sign_count,
                                     GError                     **error)
{
  g_auto(FidoKey) key = { 0, };
  guint8 client_data_hash[crypto_hash_sha256_BYTES];
  fido_assert_t *fido;
  int status;

  g_return_val_if_fail (assertion != NULL, FALSE);
  g_return_val_if_fail (public_key_cose != NULL, FALSE);

  if (!fido_key_from_cose (public_key_cose, alg, &key, error))
    return FALSE;

  crypto_hash_sha256 (client_data_hash, g_bytes_get_data (assertion->client_data, NULL),
                      g_bytes_get_size (assertion->client_data));

  /* libfido2 checks the rpIdHash and the flags again (they passed above),
   * then the signature over authenticatorData ‖ clientDataHash. */
  fido = fido_assert_new ();
  status = fido == NULL ? FIDO_ERR_INTERNAL : FIDO_OK;
  if (status == FIDO_OK)
    status = fido_assert_set_rp (fido, assertion->rp_id);
  if (status == FIDO_OK)
    status = fido_assert_set_clientdata_hash (fido, client_data_hash, sizeof client_data_hash);
  if (status == FIDO_OK)
    status = fido_assert_set_count (fido, 1);
  if (status == FIDO_OK)
    status = fido_assert_set_authdata_raw (fido, 0,
                                           g_bytes_get_data (assertion->auth_data_bytes, NULL),
                                           g_bytes_get_size (assertion->auth_data_bytes));
  if (status == FIDO_OK)
    status = fido_assert_set_sig (fido, 0, g_bytes_get_data (assertion->signature, NULL),
                                  g_bytes_get_size (assertion->signature));
  if (status == FIDO_OK)
    status = fido_assert_set_up (fido, FIDO_OPT_TRUE);
  if (status == FIDO_OK)
    status = fido_assert_set_uv (fido, FIDO_OPT_TRUE);
  if (status == FIDO_OK)
    status = fido_assert_verify (fido, 0, alg, key.pk);
  fido_assert_free (&fido);
  if (status != FIDO_OK)
    return fail (error, COMPANION_WEBAUTHN_ERROR_SIGNATURE, "The signature does not verify");

  if ((stored_sign_count != 0 || assertion->sign_count != 0) &&
      assertion->sign_count <= stored_sign_count)
    return fail (error, COMPANION_WEBAUTHN_ERROR_SIGN_COUNT,
                 "The sign count did not grow: possibly a cloned authenticator");
  return TRUE;
}
