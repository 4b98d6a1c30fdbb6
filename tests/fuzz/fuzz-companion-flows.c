/* fuzz-companion-flows.c: the Nimiq direct and mobile-QR request parsers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built once per flow, FUZZ_FLOW naming it:
 *
 *   post-nimiq      the body of POST /nimiq/nonce or /nimiq/verify
 *   post-mobile-qr  the body of POST /mobile-qr/start or /mobile-qr/complete
 *   get-mobile-qr   GET /mobile-qr/challenge/{input} or /mobile-qr/status?{input}
 *
 * The first byte's lowest bit picks the route, the rest the state that the
 * placeholders ($NONCE, $QR, $POLL, $PUB, $SIG, $ADDRESS; fuzz-companion.h)
 * stand for, made through the same HTTP routes beforehand. For get-mobile-qr
 * the input is "{path or query}\n{Cookie header}"; bytes a request line cannot
 * hold are percent-encoded, so the server decodes what the fuzzer chose. Every
 * request gets an answer, never a 5xx, and an error answer is the contract's
 * {code, message}.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "crossing-protocol.h"

#include "fuzz-common.h"
#include "fuzz-companion.h"

#define FUZZ_FLOW_NIMIQ          1
#define FUZZ_FLOW_MOBILE_QR      2
#define FUZZ_FLOW_MOBILE_QR_GET  3

#ifndef FUZZ_FLOW
#error "FUZZ_FLOW names the flow, e.g. -DFUZZ_FLOW=FUZZ_FLOW_NIMIQ"
#endif

#define NIMIQ_PATH      CROSSING_DEFAULT_BASE_PATH CROSSING_NIMIQ_PREFIX
#define MOBILE_QR_PATH  CROSSING_DEFAULT_BASE_PATH CROSSING_MOBILE_QR_PREFIX

typedef enum {
  STATE_NONE,
  /* nimiq: a nonce issued, $PUB and $SIG sign its message;
   * mobile QR: a challenge started, $QR and $POLL are its own */
  STATE_ISSUED,
  /* nimiq: that nonce used up by a good /verify;
   * mobile QR: the phone opened it, $PUB and $SIG sign its message */
  STATE_USED,
  /* mobile QR: completed by the phone */
  STATE_APPROVED,
  /* mobile QR: the session handed out by /status */
  STATE_FINALIZED,
  N_STATES
} State;

static void
send_request (const char   *method,
              const char   *target,
              const char   *cookie,
              const char   *body,
              gsize         body_len,
              FuzzResponse *response)
{
  g_autoptr(GString) request = g_string_new (NULL);

  g_string_append_printf (request, "%s %s HTTP/1.1\r\n"
                          "Host: 127.0.0.1:8787\r\n"
                          "Connection: close\r\n", method, target);
  if (cookie != NULL)
    g_string_append_printf (request, "Cookie: %s\r\n", cookie);
  if (body != NULL)
    g_string_append_printf (request, "Content-Type: application/json\r\n"
                            "Content-Length: %" G_GSIZE_FORMAT "\r\n", body_len);
  g_string_append (request, "\r\n");
  if (body != NULL)
    g_string_append_len (request, body, (gssize) body_len);

  fuzz_companion_exchange (request->str, request->len, response);
  if (response->status == 0)
    g_error ("no answer to a well-formed request:\n%s", request->str);
  fuzz_companion_check (response);
}

/* A step of the preparation: must succeed, and answers a JSON object. */
static JsonNode *
step (const char *method,
      const char *target,
      const char *cookie,
      const char *body,
      GString    *out_raw)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  FuzzResponse response;
  gsize len;
  JsonNode *root;

  send_request (method, target, cookie, body, body != NULL ? strlen (body) : 0, &response);
  if (response.status != 200)
    g_error ("preparing, %s %s answered %u:\n%s", method, target, response.status,
             response.raw->str);
  len = response.raw->len - response.body_offset;
  if (response.body_length >= 0)
    len = MIN (len, (gsize) response.body_length);
  if (!json_parser_load_from_data (parser, response.raw->str + response.body_offset,
                                   (gssize) len, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("preparing, %s %s answered no object:\n%s", method, target, response.raw->str);
  if (out_raw != NULL)
    g_string_assign (out_raw, response.raw->str);
  root = json_node_copy (json_parser_get_root (parser));
  fuzz_response_clear (&response);
  return root;
}

static const char *
member (JsonNode   *node,
        const char *name)
{
  return json_object_get_string_member (json_node_get_object (node), name);
}

#if FUZZ_FLOW == FUZZ_FLOW_NIMIQ

static void
prepare (State state)
{
  g_autoptr(JsonNode) nonce = NULL;
  g_autoptr(JsonNode) verified = NULL;
  g_autofree char *body = NULL;

  state %= STATE_USED + 1;
  if (state == STATE_NONE)
    return;
  nonce = step ("POST", NIMIQ_PATH "/nonce", NULL, "{}", NULL);
  fuzz_companion_set_value ("$NONCE", member (nonce, "nonceId"));
  fuzz_companion_sign (CROSSING_ADAPTER_NIMIQ_PAY, member (nonce, "message"));
  if (state == STATE_ISSUED)
    return;

  body = g_strdup_printf ("{\"nonceId\":\"%s\",\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}",
                          fuzz_companion_get_value ("$NONCE"), fuzz_companion_get_value ("$PUB"),
                          fuzz_companion_get_value ("$SIG"));
  verified = step ("POST", NIMIQ_PATH "/verify", NULL, body, NULL);
}

static void
run (gboolean      second_route,
     const GString *input)
{
  FuzzResponse response;

  send_request ("POST", second_route ? NIMIQ_PATH "/verify" : NIMIQ_PATH "/nonce", NULL,
                input->str, input->len, &response);
  fuzz_response_clear (&response);
}

#else /* the mobile-QR flows */

static void
prepare (State state)
{
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(JsonNode) completed = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(GString) raw = g_string_new (NULL);
  g_autofree char *poll = NULL;
  g_autofree char *target = NULL;
  g_autofree char *body = NULL;
  const char *cookie;
  const char *qr;

  state %= N_STATES;
  if (state == STATE_NONE)
    return;
  started = step ("POST", MOBILE_QR_PATH "/start", NULL, "{\"providerId\":\"nimiq-pay\"}", raw);
  qr = member (started, "challengeId");
  fuzz_companion_set_value ("$QR", qr);
  cookie = strstr (raw->str, CROSSING_MOBILE_QR_POLL_COOKIE "=");
  if (cookie == NULL)
    g_error ("preparing, start set no poll cookie:\n%s", raw->str);
  cookie += strlen (CROSSING_MOBILE_QR_POLL_COOKIE "=");
  poll = g_strndup (cookie, strcspn (cookie, ";\r\n"));
  fuzz_companion_set_value ("$POLL", poll);
  if (state == STATE_ISSUED)
    return;

  target = g_strconcat (MOBILE_QR_PATH "/challenge/", qr, NULL);
  envelope = step ("GET", target, NULL, NULL, NULL);
  fuzz_companion_sign (CROSSING_ADAPTER_NIMIQ_PAY, member (envelope, "message"));
  if (state == STATE_USED)
    return;

  body = g_strdup_printf ("{\"challengeId\":\"%s\",\"providerId\":\"nimiq-pay\","
                          "\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}",
                          qr, fuzz_companion_get_value ("$PUB"),
                          fuzz_companion_get_value ("$SIG"));
  completed = step ("POST", MOBILE_QR_PATH "/complete", NULL, body, NULL);
  if (state == STATE_APPROVED)
    return;

  g_free (target);
  target = g_strconcat (MOBILE_QR_PATH "/status?challengeId=", qr, NULL);
  g_free (body);
  body = g_strconcat (CROSSING_MOBILE_QR_POLL_COOKIE "=", poll, NULL);
  status = step ("GET", target, body, NULL, NULL);
}

#if FUZZ_FLOW == FUZZ_FLOW_MOBILE_QR

static void
run (gboolean      second_route,
     const GString *input)
{
  FuzzResponse response;

  send_request ("POST", second_route ? MOBILE_QR_PATH "/complete" : MOBILE_QR_PATH "/start",
                NULL, input->str, input->len, &response);
  fuzz_response_clear (&response);
}

#else

/* What a request line may not hold is sent percent-encoded; '%' itself is
 * not, so that broken escapes reach the server too. */
static void
append_escaped (GString    *target,
                const char *text,
                gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      if (c <= 0x20 || c >= 0x7f || c == '#')
        g_string_append_printf (target, "%%%02X", c);
      else
        g_string_append_c (target, (char) c);
    }
}

static void
run (gboolean      second_route,
     const GString *input)
{
  g_autoptr(GString) target = g_string_new (second_route ? MOBILE_QR_PATH "/status?"
                                                         : MOBILE_QR_PATH "/challenge/");
  g_autoptr(GString) cookie = NULL;
  const char *newline = memchr (input->str, '\n', input->len);
  gsize len = newline != NULL ? (gsize) (newline - input->str) : input->len;
  FuzzResponse response;

  append_escaped (target, input->str, len);
  if (newline != NULL)
    {
      cookie = g_string_new (NULL);
      /* A header value ends at a line break; NUL is no header byte. */
      for (const char *c = newline + 1; c < input->str + input->len; c++)
        if (*c != '\r' && *c != '\n' && *c != '\0')
          g_string_append_c (cookie, *c);
    }
  send_request ("GET", target->str, cookie != NULL ? cookie->str : NULL, NULL, 0, &response);
  fuzz_response_clear (&response);
}

#endif
#endif

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GString) input = NULL;

  if (size < 1)
    return 0;
  fuzz_companion_init ();
  /* New random placeholder values, and no cross-device order. */
  fuzz_companion_prepare (FUZZ_ORDER_NONE);
  prepare (data[0] >> 1);
  input = fuzz_companion_substitute (data + 1, size - 1);
  run (data[0] & 1, input);
  return 0;
}
