/* fuzz-client-reply.c: the desktop client's reading of server answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Byte 0 picks the call (start, finalize, get-session, status; from 0xf0 on,
 * the ledger's balance and entries, so older seeds keep their call), bytes 1-2
 * the HTTP status; the rest is the body a hostile server sent. The answer
 * goes through crossing_api_parse_reply() and the call's own reading, as
 * on the network, then the error through crossing_error_describe(). What
 * comes out must be what the contract promises: well-formed tokens, a
 * clean http(s) claim link, and error texts a label can show (valid
 * UTF-8, no control characters).
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-api.h"
#include "crossing-error.h"
#include "crossing-token.h"

#include "fuzz-common.h"

static const guint statuses[] = {
  200, 201, 204, 299, 301, 400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 500, 502, 503,
};

static void
check_text (const char *text)
{
  g_assert_nonnull (text);
  if (!g_utf8_validate (text, -1, NULL))
    g_error ("a text for the user is not valid UTF-8");
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 && *p != '\n')
      g_error ("a text for the user holds control character 0x%02x", (guchar) *p);
}

static void
check_start (const CrossingStartReply *reply)
{
  g_assert_true (crossing_token_is_well_formed (reply->order_id));
  g_assert_true (crossing_token_is_well_formed (reply->desktop_token));
  g_assert_true (crossing_token_is_well_formed (reply->event_token));
  g_assert_true (crossing_string_is_clean (reply->claim_url));
  g_assert_true (g_str_has_prefix (reply->claim_url, "http://") ||
                 g_str_has_prefix (reply->claim_url, "https://"));
  g_assert_cmpint (reply->expires_at, >=, 0);
  g_assert_cmpint (reply->expires_at, <, G_GINT64_CONSTANT (1000000000000000));
  /* A code comes with its address, and both are fit to show. */
  g_assert_true ((reply->user_code == NULL) == (reply->verification_uri == NULL));
  if (reply->user_code != NULL)
    {
      g_assert_true (crossing_string_is_clean (reply->user_code));
      g_assert_cmpuint (strlen (reply->user_code), <=, 16);
      g_assert_true (crossing_string_is_clean (reply->verification_uri));
    }
  if (reply->subject != NULL)
    check_text (reply->subject);
}

static void
check_finalize (const CrossingFinalizeReply *reply)
{
  g_assert_cmpint (reply->kind, !=, CROSSING_KIND_INVALID);
  if (reply->kind == CROSSING_KIND_LOGIN)
    g_assert_true (crossing_token_is_well_formed (reply->session_token));
  else
    {
      g_assert_nonnull (reply->subject);
      g_assert_nonnull (reply->signature_hex);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  guint call, status;

  if (size < 3)
    return 0;
  fuzz_init_glib ();
  call = data[0] < 0xf0 ? data[0] % 4 : 4 + data[0] % 2;
  status = data[1] < G_N_ELEMENTS (statuses) ? statuses[data[1]]
                                             : 100 + (guint) ((data[1] << 8 | data[2]) % 500);
  body = g_bytes_new (data + 3, size - 3);

  object = crossing_api_parse_reply (status, "Reason", body, &error);
  if (error == NULL && object != NULL)
    g_assert_true (status >= 200 && status < 300);

  if (error == NULL)
    {
      switch (call)
        {
        case 0:
          {
            g_autoptr(CrossingStartReply) reply =
              crossing_api_start_reply_from_json (object, &error);

            g_assert_true ((reply == NULL) != (error == NULL));
            if (reply != NULL)
              check_start (reply);
          }
          break;
        case 1:
          {
            g_autoptr(CrossingFinalizeReply) reply =
              crossing_api_finalize_reply_from_json (object, &error);

            g_assert_true ((reply == NULL) != (error == NULL));
            if (reply != NULL)
              check_finalize (reply);
          }
          break;
        case 2:
          {
            g_autoptr(CrossingSessionInfo) info =
              crossing_api_session_info_from_json (object, &error);

            g_assert_true (info == NULL || error == NULL);
            if (info == NULL && error == NULL)
              g_assert_null (object);
            if (info != NULL)
              g_assert_cmpint (info->expires_at, >=, 0);
          }
          break;
        case 3:
          {
            g_autoptr(CrossingStatusReply) reply =
              crossing_api_status_reply_from_json (object, &error);

            g_assert_true ((reply == NULL) != (error == NULL));
            if (reply != NULL)
              {
                g_assert_cmpint (reply->status, !=, CROSSING_STATUS_INVALID);
                g_assert_nonnull (reply->data);
                g_assert_cmpuint (reply->interval, <=, 300);
                g_assert_false (reply->too_early);
              }
          }
          break;
        case 4:
          {
            g_autoptr(GPtrArray) balances = crossing_api_ledger_balances_from_json (object, &error);

            g_assert_true ((balances == NULL) != (error == NULL));
            for (guint i = 0; balances != NULL && i < balances->len; i++)
              {
                CrossingLedgerBalance *balance = balances->pdata[i];
                g_autofree char *text = crossing_ledger_format_amount (balance->available,
                                                                       balance->scale);

                g_assert_cmpuint (balance->scale, <=, CROSSING_LEDGER_MAX_SCALE);
                g_assert_cmpint (balance->posted, <=, CROSSING_LEDGER_MAX_AMOUNT);
                check_text (balance->asset);
                check_text (text);
              }
          }
          break;
        case 5:
          {
            g_autoptr(GPtrArray) entries = crossing_api_ledger_entries_from_json (object, &error);

            g_assert_true ((entries == NULL) != (error == NULL));
            g_assert_true (entries == NULL || entries->len <= 100);
            for (guint i = 0; entries != NULL && i < entries->len; i++)
              {
                CrossingLedgerEntry *entry = entries->pdata[i];
                g_autofree char *text = crossing_ledger_format_amount (entry->posted_delta,
                                                                       CROSSING_LEDGER_MAX_SCALE);

                g_assert_cmpint (entry->amount, >=, 1);
                check_text (entry->reason);
                check_text (entry->id);
                check_text (text);
              }
          }
          break;
        default:
          break;
        }
    }

  if (error != NULL)
    {
      g_autofree char *described = crossing_error_describe (error, "https://companion.example");

      check_text (error->message);
      check_text (described);
    }
  return 0;
}
