/* crossing-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-json.h"

/* A scanner, not a parser: it keeps only the closers of the open
 * containers, so hostile nesting costs neither stack nor heap. */

static gsize
json_skip_space (const char *p,
                 gsize       i,
                 gsize       len)
{
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
    i++;
  return i;
}

static int
json_escaped_unit (const char *p,
                   gsize       i,
                   gsize       len)
{
  int unit = 0;

  if (i + 6 > len || p[i] != '\\' || p[i + 1] != 'u')
    return -1;
  for (gsize k = i + 2; k < i + 6; k++)
    {
      if (!g_ascii_isxdigit (p[k]))
        return -1;
      unit = unit * 16 + g_ascii_xdigit_value (p[k]);
    }
  return unit;
}

/* Scans the string whose quote is at @i; returns the index after its closing
 * quote, or 0. A lone UTF-16 surrogate is no character: refused. */
static gsize
json_scan_string (const char *p,
                  gsize       i,
                  gsize       len)
{
  for (i++; i < len; i++)
    {
      int unit;

      if (p[i] == '"')
        return i + 1;
      if ((guchar) p[i] < 0x20)
        return 0;
      if (p[i] != '\\')
        continue;
      if (i + 1 < len && p[i + 1] != '\0' && strchr ("\"\\/bfnrt", p[i + 1]) != NULL)
        {
          i++;
          continue;
        }
      unit = json_escaped_unit (p, i, len);
      if (unit >= 0xdc00 && unit <= 0xdfff)
        return 0;
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          int low = json_escaped_unit (p, i + 6, len);

          if (low < 0xdc00 || low > 0xdfff)
            return 0;
          i += 6;
        }
      if (unit < 0)
        return 0;
      i += 5;
    }
  return 0;
}

static gsize
json_scan_digits (const char *p,
                  gsize       i,
                  gsize       len)
{
  gsize start = i;

  while (i < len && g_ascii_isdigit (p[i]))
    i++;
  return i > start ? i : 0;
}

static gsize
json_scan_number (const char *p,
                  gsize       i,
                  gsize       len)
{
  if (i < len && p[i] == '-')
    i++;
  if (i < len && p[i] == '0')
    i++;
  else if (i >= len || !g_ascii_isdigit (p[i]) || (i = json_scan_digits (p, i, len)) == 0)
    return 0;
  if (i < len && p[i] == '.' && (i = json_scan_digits (p, i + 1, len)) == 0)
    return 0;
  if (i < len && (p[i] == 'e' || p[i] == 'E'))
    {
      i++;
      if (i < len && (p[i] == '+' || p[i] == '-'))
        i++;
      i = json_scan_digits (p, i, len);
    }
  return i;
}

/* A member name and its colon, counted in @n_members; returns the index of
 * the value, or 0. */
static gsize
json_scan_name (const char *p,
                gsize       i,
                gsize       len,
                gsize      *n_members)
{
  if (i >= len || p[i] != '"' || (i = json_scan_string (p, i, len)) == 0)
    return 0;
  i = json_skip_space (p, i, len);
  if (i >= len || p[i] != ':')
    return 0;
  (*n_members)++;
  return json_skip_space (p, i + 1, len);
}

gboolean
crossing_json_is_strict (const char *data,
                         gsize       len,
                         guint       max_depth)
{
  gsize n_members;

  return crossing_json_scan (data, len, max_depth, &n_members);
}

gboolean
crossing_json_scan (const char *p,
                    gsize       len,
                    guint       max_depth,
                    gsize      *n_members)
{
  char closers[CROSSING_JSON_MAX_DEPTH];
  guint depth = 0;
  gsize i = json_skip_space (p, 0, len);

  g_return_val_if_fail (n_members != NULL, FALSE);

  *n_members = 0;

  for (;;)
    {
      /* A value starts at i. */
      if (i >= len)
        return FALSE;
      if (p[i] == '{' || p[i] == '[')
        {
          char closer = p[i] == '{' ? '}' : ']';

          if (depth == MIN (max_depth, CROSSING_JSON_MAX_DEPTH))
            return FALSE;
          i = json_skip_space (p, i + 1, len);
          if (i < len && p[i] == closer)
            i++;
          else
            {
              closers[depth++] = closer;
              if (closer == '}' && (i = json_scan_name (p, i, len, n_members)) == 0)
                return FALSE;
              continue;
            }
        }
      else if (p[i] == '"')
        i = json_scan_string (p, i, len);
      else if (p[i] == '-' || g_ascii_isdigit (p[i]))
        i = json_scan_number (p, i, len);
      else if (len - i >= 4 && (memcmp (p + i, "true", 4) == 0 || memcmp (p + i, "null", 4) == 0))
        i += 4;
      else if (len - i >= 5 && memcmp (p + i, "false", 5) == 0)
        i += 5;
      else
        return FALSE;
      if (i == 0)
        return FALSE;

      /* After a value: close what ends here, then the next element. */
      for (;;)
        {
          i = json_skip_space (p, i, len);
          if (depth == 0)
            return i == len;
          if (i >= len)
            return FALSE;
          if (p[i] != closers[depth - 1])
            break;
          depth--;
          i++;
        }
      if (p[i] != ',')
        return FALSE;
      i = json_skip_space (p, i + 1, len);
      if (closers[depth - 1] == '}' && (i = json_scan_name (p, i, len, n_members)) == 0)
        return FALSE;
    }
}
