/* webauthn-verify.c: the CPU one approval's proof costs, ed25519 against webauthn.get
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   webauthn-verify [tests/webauthn/vectors.json] [ROUNDS]
 *
 * For each adapter, what the companion runs on /approve to check the proof:
 * ed25519, crossing_proof_verify(); webauthn.get (ES256, EdDSA, RS256, the
 * good vectors), companion_webauthn_assertion_new() (base64url, strict JSON,
 * authenticator data) and companion_webauthn_assertion_verify() (COSE key to
 * libfido2, fido_assert_verify, sign count). Prints the median of 5 batches
 * of ROUNDS (default 2000) in microseconds of process CPU per proof, and the
 * difference to ed25519. The store lookup and sign-count update are not in
 * it (one indexed SELECT and one UPDATE inside the approve's transaction).
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "companion-webauthn.h"
#include "crossing-proof.h"

#define BATCHES 5

static double
cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

typedef gboolean (*VerifyFunc) (gpointer data);

static double
median_us (VerifyFunc verify,
           gpointer   data,
           guint      rounds)
{
  double batches[BATCHES];

  for (guint b = 0; b < BATCHES; b++)
    {
      double start = cpu_us ();

      for (guint i = 0; i < rounds; i++)
        if (!verify (data))
          g_error ("a good proof did not verify");
      batches[b] = (cpu_us () - start) / rounds;
    }
  qsort (batches, BATCHES, sizeof batches[0], compare_doubles);
  return batches[BATCHES / 2];
}

typedef struct {
  const char *message;
  char       *public_key_hex;
  char       *signature_hex;
} Ed25519Case;

static gboolean
verify_ed25519 (gpointer data)
{
  Ed25519Case *c = data;
  g_autofree char *subject = NULL;
  g_autofree char *key = NULL;

  return crossing_proof_verify (CROSSING_ADAPTER_ED25519, c->message, c->public_key_hex,
                                c->signature_hex, NULL, &subject, &key, NULL);
}

typedef struct {
  CompanionWebauthnExpected  expected;
  JsonObject                *proof;
  int                        alg;
  GBytes                    *cose;
  guint32                    sign_count;
} WebauthnCase;

static gboolean
verify_webauthn (gpointer data)
{
  WebauthnCase *c = data;
  g_autoptr(CompanionWebauthnAssertion) assertion = NULL;

  assertion = companion_webauthn_assertion_new (&c->expected,
                                                json_object_get_string_member (c->proof,
                                                                               "clientDataJSON"),
                                                json_object_get_string_member (c->proof,
                                                                               "authenticatorData"),
                                                json_object_get_string_member (c->proof,
                                                                               "signature"),
                                                NULL);
  return assertion != NULL &&
         companion_webauthn_assertion_verify (assertion, c->alg, c->cose, c->sign_count, NULL);
}

int
main (int   argc,
      char *argv[])
{
  const char *path = argc > 1 ? argv[1] : "tests/webauthn/vectors.json";
  guint rounds = argc > 2 ? (guint) atoi (argv[2]) : 2000;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *challenge = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES] = { 7, };
  Ed25519Case ed = { 0, };
  JsonObject *root, *credentials;
  JsonArray *vectors;
  double ed_us;

  if (rounds == 0 || !json_parser_load_from_file (parser, path, &error))
    g_error ("usage: webauthn-verify [vectors.json] [ROUNDS]: %s",
             error != NULL ? error->message : "ROUNDS must be a positive number");
  root = json_node_get_object (json_parser_get_root (parser));
  credentials = json_object_get_object_member (root, "credentials");
  vectors = json_object_get_array_member (root, "vectors");
  challenge = companion_webauthn_challenge_for_message (json_object_get_string_member (root,
                                                                                       "message"));

  ed.message = json_object_get_string_member (root, "message");
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, ed.message, seed, &ed.public_key_hex,
                       &ed.signature_hex);
  ed_us = median_us (verify_ed25519, &ed, rounds);
  g_print ("| proof | us CPU per verify | vs ed25519 |\n|---|---:|---:|\n");
  g_print ("| ed25519 | %.1f | |\n", ed_us);

  for (guint i = 0; i < json_array_get_length (vectors); i++)
    {
      JsonObject *vector = json_array_get_object_element (vectors, i);
      const char *name = json_object_get_string_member (vector, "name");
      JsonObject *credential;
      WebauthnCase c = { 0, };
      double us;

      if (!g_str_has_suffix (name, "/get/good"))
        continue;
      credential = json_object_get_object_member (credentials,
                                                  json_object_get_string_member (vector,
                                                                                 "credential"));
      c.expected.rp_id = json_object_get_string_member (root, "rpId");
      c.expected.origin = json_object_get_string_member (root, "origin");
      c.expected.challenge = challenge;
      c.proof = json_object_get_object_member (vector, "proof");
      c.alg = json_object_get_int_member (credential, "alg");
      c.cose = companion_webauthn_decode_field (json_object_get_string_member (credential,
                                                                               "publicKeyCose"),
                                                "publicKeyCose", NULL);
      c.sign_count = json_object_get_int_member (credential, "signCount");
      us = median_us (verify_webauthn, &c, rounds);
      g_print ("| webauthn.get %.*s | %.1f | %+.1f |\n", (int) strcspn (name, "/"), name, us,
               us - ed_us);
      g_bytes_unref (c.cose);
    }

  g_free (ed.public_key_hex);
  g_free (ed.signature_hex);
  return 0;
}
