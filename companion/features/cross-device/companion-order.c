/* companion-order.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-order"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "companion-order.h"

#define BIT COMPANION_STATUS_BIT

#define NON_TERMINAL (BIT (CROSSING_STATUS_CREATED) | BIT (CROSSING_STATUS_CLAIMED) | \
                      BIT (CROSSING_STATUS_WAITING_USER) | BIT (CROSSING_STATUS_APPROVED))

static const struct {
  guint          from;
  CrossingStatus to;
  CrossingError  not_ready;   /* for a non-terminal state it cannot start from */
} actions[COMPANION_N_ACTIONS] = {
  [COMPANION_ACTION_CLAIM] = {
    BIT (CROSSING_STATUS_CREATED),
    CROSSING_STATUS_CLAIMED,
    CROSSING_ERROR_ALREADY_CLAIMED,
  },
  [COMPANION_ACTION_CHALLENGE] = {
    BIT (CROSSING_STATUS_CLAIMED) | BIT (CROSSING_STATUS_WAITING_USER),
    CROSSING_STATUS_WAITING_USER,
    CROSSING_ERROR_NOT_READY_TO_APPROVE,
  },
  [COMPANION_ACTION_APPROVE] = {
    BIT (CROSSING_STATUS_CLAIMED) | BIT (CROSSING_STATUS_WAITING_USER),
    CROSSING_STATUS_APPROVED,
    CROSSING_ERROR_NOT_READY_TO_APPROVE,
  },
  [COMPANION_ACTION_REJECT] = {
    BIT (CROSSING_STATUS_CLAIMED) | BIT (CROSSING_STATUS_WAITING_USER),
    CROSSING_STATUS_REJECTED,
    CROSSING_ERROR_NOT_READY_TO_REJECT,
  },
  [COMPANION_ACTION_CANCEL] = {
    BIT (CROSSING_STATUS_CREATED) | BIT (CROSSING_STATUS_CLAIMED) |
    BIT (CROSSING_STATUS_WAITING_USER),
    CROSSING_STATUS_CANCELLED,
    CROSSING_ERROR_NOT_READY_TO_CANCEL,
  },
  [COMPANION_ACTION_FINALIZE] = {
    BIT (CROSSING_STATUS_APPROVED),
    CROSSING_STATUS_FINALIZED,
    CROSSING_ERROR_NOT_READY_TO_FINALIZE,
  },
  [COMPANION_ACTION_EXPIRE] = {
    NON_TERMINAL,
    CROSSING_STATUS_EXPIRED,
    CROSSING_ERROR_TRANSITION_CONFLICT,
  },
};

guint
companion_action_allowed_from (CompanionAction action)
{
  g_return_val_if_fail (action < COMPANION_N_ACTIONS, 0);
  return actions[action].from;
}

CrossingStatus
companion_action_target (CompanionAction action)
{
  g_return_val_if_fail (action < COMPANION_N_ACTIONS, CROSSING_STATUS_INVALID);
  return actions[action].to;
}

int
companion_action_check (CompanionAction action,
                        CrossingStatus  status)
{
  g_return_val_if_fail (action < COMPANION_N_ACTIONS, CROSSING_ERROR_INTERNAL);
  g_return_val_if_fail (status >= 0 && status < CROSSING_N_STATUSES, CROSSING_ERROR_INTERNAL);

  if (actions[action].from & BIT (status))
    return -1;

  if (status == CROSSING_STATUS_EXPIRED)
    return CROSSING_ERROR_ORDER_EXPIRED;

  /* A login can be finalized once; the second desktop gets a distinct code. */
  if (action == COMPANION_ACTION_FINALIZE && status == CROSSING_STATUS_FINALIZED)
    return CROSSING_ERROR_FINALIZE_ALREADY_USED;

  if (crossing_status_is_terminal (status))
    return CROSSING_ERROR_TRANSITION_CONFLICT;

  return actions[action].not_ready;
}

gboolean
companion_order_is_past_expiry (const CompanionOrder *order,
                                gint64                now_ms)
{
  g_return_val_if_fail (order != NULL, FALSE);

  return !crossing_status_is_terminal (order->status) && now_ms >= order->expires_at;
}

const char *
companion_order_redirect_to (const CompanionOrder *order)
{
  return order->return_to != NULL ? order->return_to : "/";
}

typedef struct {
  const char *key;
  const char *value;
} Detail;

/* PROTOCOL.md, "Request context": the details of every order and of an
 * identified one, and a ledger order's. */
static const char *const builtin_details[] = {
  "kind", "orderId", "summary", "title", "subject", "amount", "asset", "reservationId",
};

gboolean
companion_order_is_builtin_detail (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_details); i++)
    if (strcmp (key, builtin_details[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_details (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (((const Detail *) a)->key, ((const Detail *) b)->key);
}

GStrv
companion_order_details (const CompanionOrder *order)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GArray) details = g_array_new (FALSE, FALSE, sizeof (Detail));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  Detail kind = { "kind", crossing_kind_to_string (order->kind) };
  Detail id = { "orderId", order->id };
  Detail summary = { "summary", order->summary };
  Detail title = { "title", order->title };

  g_return_val_if_fail (order != NULL, NULL);

  g_array_append_val (details, kind);
  g_array_append_val (details, id);
  g_array_append_val (details, summary);
  g_array_append_val (details, title);
  if (order->identified && order->subject != NULL)
    {
      Detail subject = { "subject", order->subject };

      g_array_append_val (details, subject);
    }
  /* Written by the engine as an object of strings. */
  if (order->extra_details != NULL &&
      json_parser_load_from_data (parser, order->extra_details, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *extra = json_node_get_object (json_parser_get_root (parser));
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &key, &value))
        {
          Detail detail = { key, json_node_get_string (value) };

          if (detail.value != NULL)
            g_array_append_val (details, detail);
        }
    }

  /* Upstream prints Object.keys (details).sort (): UTF-16 code units, which
   * for these ASCII keys is strcmp's order. */
  g_array_sort (details, compare_details);
  for (guint i = 0; i < details->len; i++)
    {
      g_strv_builder_add (builder, g_array_index (details, Detail, i).key);
      g_strv_builder_add (builder, g_array_index (details, Detail, i).value);
    }
  return g_strv_builder_end (builder);
}

char *
companion_order_build_message (const CompanionOrder *order)
{
  g_autofree char *issued = crossing_format_iso8601_ms (order->issued_at);
  g_autofree char *expires = crossing_format_iso8601_ms (order->expires_at);
  g_auto(GStrv) details = companion_order_details (order);
  GString *message = g_string_sized_new (512);

  g_string_append_printf (message, "%s requests cross-device approval\n", order->app_name);
  g_string_append_printf (message, "Action: %s\n",
                          order->kind == CROSSING_KIND_LOGIN ? "auth.login" : "order.approve");
  g_string_append_printf (message, "Origin: %s\n", order->origin);
  g_string_append_printf (message, "Challenge ID: %s\n", order->challenge_id);
  g_string_append_printf (message, "Nonce: %s\n", order->nonce);
  g_string_append_printf (message, "Issued At: %s\n", issued);
  g_string_append_printf (message, "Expires At: %s\n", expires);
  g_string_append_printf (message, "Request ID: %s\n", order->id);
  g_string_append_printf (message, "Resource: %s\n", companion_order_redirect_to (order));
  if (order->payload_hash != NULL)
    g_string_append_printf (message, "Payload Hash: %s\n", order->payload_hash);
  for (guint i = 0; details[i] != NULL; i += 2)
    g_string_append_printf (message, "%s%s: %s", i > 0 ? "\n" : "", details[i], details[i + 1]);

  return g_string_free (message, FALSE);
}
