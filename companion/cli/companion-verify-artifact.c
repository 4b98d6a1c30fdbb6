/* companion-verify-artifact.c: checks a sign or transaction order's proof
 * artifact offline, without the companion or its database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FILE holds the artifact, or /finalize's whole answer with its
 * proofArtifact. ed25519 and nimiq-pay: the signature over the message with
 * the key the subject names. webauthn: the passkey's assertion as the
 * companion checked it (PROTOCOL.md "Passkey approval"), against the COSE
 * key in the artifact; the relying party is the host of the origin the
 * browser wrote into clientDataJSON unless --rp-id says otherwise, and
 * --origin makes that origin a requirement.
 */
#define G_LOG_DOMAIN "companion"

#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "crossing-json.h"
#include "crossing-proof.h"

#include "companion-config.h"
#include "companion-verify-artifact.h"
#include "companion-webauthn.h"

#define PREFIX "crossing-companion verify-artifact"
#define MAX_ARTIFACT_BYTES (1024 * 1024)

static int
usage (GOptionContext *context,
       const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("%s: %s\n\n%s", PREFIX, message, help);
  return 2;
}

static int
refuse (const char *reason)
{
  g_printerr ("%s: the artifact does not verify: %s\n", PREFIX, reason);
  return 1;
}

static const char *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The origin the browser wrote into clientDataJSON. */
static char *
client_data_origin (const char *client_data_json)
{
  g_autoptr(GBytes) bytes = companion_webauthn_decode_field (client_data_json, "clientDataJSON",
                                                             NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  gsize len;
  const char *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  if (!g_utf8_validate_len (data, len, NULL) || !crossing_json_is_strict (data, len, 4) ||
      !json_parser_load_from_data (parser, data, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return g_strdup (member (json_node_get_object (root), "origin"));
}

static int
verify_webauthn (JsonObject *artifact,
                 const char *subject,
                 const char *message,
                 const char *rp_id_option,
                 const char *origin_option)
{
  g_autoptr(CompanionWebauthnAssertion) assertion = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *rp_id = NULL;
  g_autofree char *expected_subject = NULL;
  const char *credential_id = member (artifact, "credentialId");
  const char *client_data = member (artifact, "clientDataJSON");
  JsonNode *alg = json_object_get_member (artifact, "alg");
  CompanionWebauthnExpected expected;

  if (member (artifact, "signature") == NULL && member (artifact, "attestationObject") != NULL)
    return refuse ("it records the passkey's first use (webauthn.create): an attestation of "
                   "format none signs nothing, so it can only be checked by the companion");
  if (credential_id == NULL || client_data == NULL || member (artifact, "publicKeyCose") == NULL ||
      member (artifact, "authenticatorData") == NULL || member (artifact, "signature") == NULL ||
      alg == NULL || json_node_get_value_type (alg) != G_TYPE_INT64)
    return refuse ("a webauthn artifact needs credentialId, alg, publicKeyCose, clientDataJSON, "
                   "authenticatorData and signature");

  expected_subject = g_strconcat ("passkey:", credential_id, NULL);
  if (strcmp (subject, expected_subject) != 0)
    return refuse ("the subject is not passkey:{credentialId}");

  origin = origin_option != NULL ? g_strdup (origin_option) : client_data_origin (client_data);
  if (origin == NULL || (uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL)) == NULL ||
      g_uri_get_host (uri) == NULL)
    return refuse ("clientDataJSON names no origin");
  rp_id = rp_id_option != NULL ? g_strdup (rp_id_option) : g_strdup (g_uri_get_host (uri));

  challenge = companion_webauthn_challenge_for_message (message);
  expected = (CompanionWebauthnExpected) { rp_id, origin, challenge };
  assertion = companion_webauthn_assertion_new (&expected, client_data,
                                                member (artifact, "authenticatorData"),
                                                member (artifact, "signature"), &error);
  key = companion_webauthn_decode_field (member (artifact, "publicKeyCose"), "publicKeyCose",
                                         error == NULL ? &error : NULL);
  /* Offline there is no stored count: 0 accepts any. */
  if (assertion == NULL || key == NULL ||
      !companion_webauthn_assertion_verify (assertion, (int) json_node_get_int (alg), key, 0,
                                            &error))
    return refuse (error->message);

  g_print ("OK: %s approved, with a passkey of %s (relying party %s):\n%s\n", subject, origin,
           rp_id, message);
  return 0;
}

static int
verify_key (CrossingAdapter  adapter,
            JsonObject      *artifact,
            const char      *subject,
            const char      *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *signer = NULL;

  if (!crossing_proof_verify (adapter, message, member (artifact, "publicKeyHex"),
                              member (artifact, "signatureHex"), NULL, &signer, NULL, &error))
    return refuse (error->message);
  if (strcmp (signer, subject) != 0)
    return refuse ("the key is not the subject's");
  g_print ("OK: %s approved:\n%s\n", subject, message);
  return 0;
}

int
companion_verify_artifact_main (int    argc,
                                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *rp_id = NULL;
  g_autofree char *origin = NULL;
  JsonObject *artifact;
  JsonNode *root;
  const char *subject, *message;
  CrossingAdapter adapter;
  gsize len = 0;
  GOptionEntry entries[] = {
    { "rp-id", 0, 0, G_OPTION_ARG_STRING, &rp_id,
      "Relying party of a passkey (default: the host of the origin in clientDataJSON)", "HOST" },
    { "origin", 0, 0, G_OPTION_ARG_STRING, &origin,
      "Origin a passkey must have signed for (default: any, printed)", "ORIGIN" },
    COMPANION_VERSION_ENTRY,
    { NULL }
  };

  context = g_option_context_new ("FILE");
  g_option_context_set_summary (context,
                                "Checks a sign or transaction order's proofArtifact (or the whole\n"
                                "finalize answer) offline. Exit status 0: it verifies; 1: it does\n"
                                "not; 2: usage.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (context, error->message);
  if (argc != 2)
    return usage (context, "give exactly one FILE");

  if (!g_file_get_contents (argv[1], &contents, &len, &error))
    {
      g_printerr ("%s: %s\n", PREFIX, error->message);
      return 2;
    }
  if (len > MAX_ARTIFACT_BYTES || memchr (contents, '\0', len) != NULL ||
      !g_utf8_validate_len (contents, len, NULL) ||
      !crossing_json_is_strict (contents, len, CROSSING_JSON_MAX_DEPTH) ||
      !json_parser_load_from_data (parser, contents, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return refuse ("the file is not one JSON object");

  artifact = json_node_get_object (root);
  if (json_object_has_member (artifact, "proofArtifact"))
    {
      JsonNode *inner = json_object_get_member (artifact, "proofArtifact");

      if (!JSON_NODE_HOLDS_OBJECT (inner))
        return refuse ("proofArtifact is not an object");
      artifact = json_node_get_object (inner);
    }

  subject = member (artifact, "subject");
  message = member (artifact, "message");
  adapter = crossing_adapter_from_string (member (artifact, "adapterId"));
  if (subject == NULL || message == NULL || adapter == CROSSING_ADAPTER_INVALID)
    return refuse ("an artifact needs adapterId, subject and message");

  if (adapter == CROSSING_ADAPTER_WEBAUTHN)
    return verify_webauthn (artifact, subject, message, rp_id, origin);
  return verify_key (adapter, artifact, subject, message);
}
