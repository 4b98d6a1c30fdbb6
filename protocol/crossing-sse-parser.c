/* crossing-sse-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-sse-parser.h"

struct _CrossingSseParser
{
  CrossingSseEventFunc    event_func;
  CrossingSseCommentFunc  comment_func;
  gpointer                user_data;

  GString  *line;
  GString  *data;
  GString  *event_type;
  /* The WHATWG "last event ID buffer": an id: line sets it, but it only
   * becomes the last event ID when its event is dispatched, so a stream cut
   * in the middle of an event does not resume after that event. */
  char     *id_buffer;
  char     *last_event_id;
  gint64    retry;
  gsize     max_line;
  gsize     max_event;
  gboolean  seen_start;     /* the BOM may only come first */
  gboolean  skip_lf;        /* the previous chunk ended with CR */
};

CrossingSseParser *
crossing_sse_parser_new (CrossingSseEventFunc   event_func,
                         CrossingSseCommentFunc comment_func,
                         gpointer               user_data)
{
  CrossingSseParser *parser = g_new0 (CrossingSseParser, 1);

  parser->event_func = event_func;
  parser->comment_func = comment_func;
  parser->user_data = user_data;
  parser->line = g_string_new (NULL);
  parser->data = g_string_new (NULL);
  parser->event_type = g_string_new (NULL);
  parser->last_event_id = g_strdup ("");
  parser->id_buffer = g_strdup ("");
  parser->retry = -1;
  parser->max_line = CROSSING_SSE_DEFAULT_MAX_LINE;
  parser->max_event = CROSSING_SSE_DEFAULT_MAX_EVENT;
  return parser;
}

void
crossing_sse_parser_free (CrossingSseParser *parser)
{
  if (parser == NULL)
    return;
  g_string_free (parser->line, TRUE);
  g_string_free (parser->data, TRUE);
  g_string_free (parser->event_type, TRUE);
  g_free (parser->last_event_id);
  g_free (parser->id_buffer);
  g_free (parser);
}

void
crossing_sse_parser_set_limits (CrossingSseParser *parser,
                                gsize              max_line,
                                gsize              max_event)
{
  g_return_if_fail (parser != NULL);

  parser->max_line = max_line;
  parser->max_event = max_event;
}

void
crossing_sse_parser_reset (CrossingSseParser *parser)
{
  g_return_if_fail (parser != NULL);

  g_string_truncate (parser->line, 0);
  g_string_truncate (parser->data, 0);
  g_string_truncate (parser->event_type, 0);
  g_free (parser->id_buffer);
  parser->id_buffer = g_strdup (parser->last_event_id);
  parser->seen_start = FALSE;
  parser->skip_lf = FALSE;
}

const char *
crossing_sse_parser_get_last_event_id (CrossingSseParser *parser)
{
  g_return_val_if_fail (parser != NULL, NULL);
  return parser->last_event_id;
}

gsize
crossing_sse_parser_get_buffered (CrossingSseParser *parser)
{
  g_return_val_if_fail (parser != NULL, 0);
  return parser->line->len + parser->data->len + parser->event_type->len;
}

gint64
crossing_sse_parser_get_retry (CrossingSseParser *parser)
{
  g_return_val_if_fail (parser != NULL, -1);
  return parser->retry;
}

static void
dispatch (CrossingSseParser *parser)
{
  if (strcmp (parser->last_event_id, parser->id_buffer) != 0)
    {
      g_free (parser->last_event_id);
      parser->last_event_id = g_strdup (parser->id_buffer);
    }

  if (parser->data->len == 0)
    {
      g_string_truncate (parser->event_type, 0);
      return;
    }

  if (parser->data->str[parser->data->len - 1] == '\n')
    g_string_truncate (parser->data, parser->data->len - 1);

  if (parser->event_func != NULL)
    parser->event_func (parser->event_type->len > 0 ? parser->event_type->str : "message",
                        parser->data->str, parser->last_event_id, parser->user_data);

  g_string_truncate (parser->data, 0);
  g_string_truncate (parser->event_type, 0);
}

static gboolean
field_is (const char *field,
          gsize       field_len,
          const char *name)
{
  /* Compared with lengths: a field name with a NUL in it is no known field. */
  return field_len == strlen (name) && memcmp (field, name, field_len) == 0;
}

static gboolean
process_line (CrossingSseParser  *parser,
              const char         *line,
              gsize               len,
              GError            **error)
{
  const char *colon;
  gsize field_len;
  const char *value;
  gsize value_len;

  if (len == 0)
    {
      dispatch (parser);
      return TRUE;
    }

  if (line[0] == ':')
    {
      if (parser->comment_func != NULL)
        {
          g_autofree char *comment = g_strndup (line + 1, len - 1);
          parser->comment_func (comment, parser->user_data);
        }
      return TRUE;
    }

  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      field_len = (gsize) (colon - line);
      value = colon + 1;
      value_len = len - field_len - 1;
      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
    }
  else
    {
      field_len = len;
      value = "";
      value_len = 0;
    }

  if (field_is (line, field_len, "data"))
    {
      if (value_len + 1 > parser->max_event ||
          parser->data->len > parser->max_event - value_len - 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "An event from the server is larger than %" G_GSIZE_FORMAT " bytes",
                       parser->max_event);
          return FALSE;
        }
      g_string_append_len (parser->data, value, value_len);
      g_string_append_c (parser->data, '\n');
    }
  else if (field_is (line, field_len, "event"))
    {
      g_string_truncate (parser->event_type, 0);
      g_string_append_len (parser->event_type, value, value_len);
    }
  else if (field_is (line, field_len, "id"))
    {
      if (memchr (value, '\0', value_len) == NULL)
        {
          g_free (parser->id_buffer);
          parser->id_buffer = g_strndup (value, value_len);
        }
    }
  else if (field_is (line, field_len, "retry"))
    {
      guint64 retry = 0;
      gsize i;

      /* Only ASCII digits; more than 18 of them cannot be a sane delay and could overflow. */
      for (i = 0; i < value_len && g_ascii_isdigit (value[i]); i++)
        retry = retry * 10 + (guint64) (value[i] - '0');
      if (value_len > 0 && value_len <= 18 && i == value_len)
        parser->retry = (gint64) retry;
    }

  return TRUE;
}

gboolean
crossing_sse_parser_feed (CrossingSseParser  *parser,
                          const char         *data,
                          gsize               len,
                          GError            **error)
{
  gsize i = 0;

  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  while (i < len)
    {
      gsize start = i;
      gsize end;

      if (parser->skip_lf)
        {
          parser->skip_lf = FALSE;
          if (data[i] == '\n')
            {
              i++;
              continue;
            }
        }

      if (!parser->seen_start)
        {
          /* A BOM may arrive split over chunks: collect the first bytes. */
          static const char bom[] = "\xEF\xBB\xBF";
          gsize have = parser->line->len;

          while (i < len && have < 3 && (guchar) data[i] == (guchar) bom[have])
            {
              g_string_append_c (parser->line, data[i]);
              i++;
              have++;
            }
          if (have == 3)
            {
              g_string_truncate (parser->line, 0);
              parser->seen_start = TRUE;
              continue;
            }
          if (i == len && have > 0)
            return TRUE;
          parser->seen_start = TRUE;
          start = i;
        }

      end = start;
      while (end < len && data[end] != '\n' && data[end] != '\r')
        end++;

      if (parser->line->len + (end - start) > parser->max_line)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "A line from the server is longer than %" G_GSIZE_FORMAT " bytes",
                       parser->max_line);
          return FALSE;
        }

      if (end == len)
        {
          g_string_append_len (parser->line, data + start, end - start);
          return TRUE;
        }

      if (parser->line->len > 0)
        {
          g_string_append_len (parser->line, data + start, end - start);
          if (!process_line (parser, parser->line->str, parser->line->len, error))
            return FALSE;
          g_string_truncate (parser->line, 0);
        }
      else if (!process_line (parser, data + start, end - start, error))
        return FALSE;

      if (data[end] == '\r')
        {
          if (end + 1 < len)
            {
              if (data[end + 1] == '\n')
                end++;
            }
          else
            parser->skip_lf = TRUE;
        }
      i = end + 1;
    }

  return TRUE;
}
