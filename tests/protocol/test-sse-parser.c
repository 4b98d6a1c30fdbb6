/* test-sse-parser.c: tricky event streams, whole and split at every byte
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-sse-parser.h"

/* A string literal and its length, so streams may hold NUL bytes. */
#define STREAM(s) s, sizeof (s) - 1
#define RETRY_THEN_PART "retry: 50\nid: 5\ndata: a\n\nevent: e\ndata: part"
#define ONE_THEN_CUT_TWO "id: 1\ndata: a\n\nid: 2\nevent: claimed\ndata: {\"che"

typedef struct {
  const char *name;
  const char *stream;
  gsize       len;
  const char *expected;   /* "type|data|id" per event, joined with "\x1e" */
  gint64      retry;
  const char *comments;   /* "#" and each comment's text, joined with "\x1e" */
} Case;

static const Case cases[] = {
  { "lf", STREAM ("event: claimed\ndata: {\"a\":1}\nid: 1\n\n"), "claimed|{\"a\":1}|1", -1, "" },
  { "crlf", STREAM ("event: claimed\r\ndata: x\r\nid: 2\r\n\r\n"), "claimed|x|2", -1, "" },
  { "cr-only", STREAM ("event: claimed\rdata: x\rid: 3\r\r"), "claimed|x|3", -1, "" },
  { "mixed-line-ends", STREAM ("data: a\r\ndata: b\rdata: c\n\r\n"), "message|a\nb\nc|", -1, "" },
  { "lf-then-cr-is-two-line-ends", STREAM ("data: a\n\rdata: b\n\n"),
    "message|a|\x1emessage|b|", -1, "" },
  { "cr-cr-is-two-line-ends", STREAM ("data: a\r\rdata: b\r\r"), "message|a|\x1emessage|b|", -1,
    "" },
  { "cr-at-end-of-stream-ends-the-line", STREAM ("data: x\n\r"), "message|x|", -1, "" },
  { "leading-blank-lines", STREAM ("\n\r\n\rdata: x\n\n"), "message|x|", -1, "" },
  { "bom", STREAM ("\xEF\xBB\xBF" "data: first\n\n"), "message|first|", -1, "" },
  { "bom-only-at-start", STREAM ("data: a\n\n\xEF\xBB\xBF" "data: b\n\n"), "message|a|", -1, "" },
  { "second-bom-is-not-skipped", STREAM ("\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\n"), "", -1, "" },
  { "partial-bom-is-line-content", STREAM ("\xEF\xBB" "data: x\n\ndata: y\n\n"), "message|y|", -1,
    "" },
  { "bom-then-comment", STREAM ("\xEF\xBB\xBF: hi\ndata: x\n\n"), "message|x|", -1, "# hi" },
  { "comments", STREAM (": keepalive\n\n: another\ndata: x\n\n"), "message|x|", -1,
    "# keepalive\x1e# another" },
  { "comment-only", STREAM (":\n:x\r\n"), "", -1, "#\x1e#x" },
  { "multi-line-data", STREAM ("data: one\ndata:two\ndata:  three\n\n"),
    "message|one\ntwo\n three|", -1, "" },
  { "empty-data-lines-keep-newlines", STREAM ("data: a\ndata:\ndata\n\n"), "message|a\n\n|", -1,
    "" },
  { "colon-in-value", STREAM ("data: a:b: c\n\n"), "message|a:b: c|", -1, "" },
  { "utf8-data", STREAM ("data: \xe2\x9c\x93 \xc3\xbc\n\n"), "message|\xe2\x9c\x93 \xc3\xbc|", -1,
    "" },
  { "id-without-data", STREAM ("id: 7\n\ndata: x\n\n"), "message|x|7", -1, "" },
  { "id-kept-across-events", STREAM ("id: 4\ndata: a\n\ndata: b\n\n"),
    "message|a|4\x1emessage|b|4", -1, "" },
  { "empty-id-clears", STREAM ("id: 5\ndata: a\n\nid\ndata: b\n\n"),
    "message|a|5\x1emessage|b|", -1, "" },
  { "id-with-nul-is-ignored", STREAM ("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"),
    "message|a|1\x1emessage|b|1", -1, "" },
  { "field-name-with-nul-is-unknown", STREAM ("da\0ta: x\n\ndata: y\n\n"), "message|y|", -1, "" },
  { "retry-valid", STREAM ("retry: 3000\n\ndata: x\n\n"), "message|x|", 3000, "" },
  { "retry-zero", STREAM ("retry: 0\n"), "", 0, "" },
  { "retry-last-valid-wins", STREAM ("retry: 100\nretry: 200\nretry: 2x\n"), "", 200, "" },
  { "retry-invalid", STREAM ("retry: 30x0\nretry: -1\nretry:\nretry:  5\nretry: 1.5\ndata: x\n\n"),
    "message|x|", -1, "" },
  { "retry-absurdly-long-is-ignored", STREAM ("retry: 1234567890123456789\n"), "", -1, "" },
  { "field-without-colon", STREAM ("data\n\n"), "message||", -1, "" },
  { "unknown-field", STREAM ("foo: bar\ndata: x\n\n"), "message|x|", -1, "" },
  { "space-before-colon-is-another-field", STREAM ("data : x\n\n"), "", -1, "" },
  { "field-names-are-case-sensitive", STREAM ("Data: x\nEVENT: y\n\n"), "", -1, "" },
  { "only-one-space-is-stripped", STREAM ("data:x\ndata:  y\nevent:  e\n\n"), " e|x\n y|", -1,
    "" },
  { "tab-is-not-stripped", STREAM ("data:\tx\n\n"), "message|\tx|", -1, "" },
  { "type-reset-after-dispatch", STREAM ("event: a\ndata: 1\n\ndata: 2\n\n"),
    "a|1|\x1emessage|2|", -1, "" },
  { "type-reset-when-nothing-dispatched", STREAM ("event: a\n\ndata: 2\n\n"), "message|2|", -1,
    "" },
  { "empty-event-name-means-message", STREAM ("event\ndata: x\n\n"), "message|x|", -1, "" },
  { "last-event-line-wins", STREAM ("event: a\nevent: b\ndata: x\n\n"), "b|x|", -1, "" },
  { "trailing-incomplete-dropped", STREAM ("data: done\n\ndata: partial\n"), "message|done|", -1,
    "" },
  { "unterminated-last-line-dropped", STREAM ("data: done\n\ndata: partial"), "message|done|", -1,
    "" },
  { "empty-data-dispatches-nothing", STREAM ("event: x\n\n"), "", -1, "" },
  { "empty-stream", STREAM (""), "", -1, "" },
  { "crossing-stream",
    STREAM ("retry: 3000\n\nid: 1\nevent: claimed\ndata: {\"checkCode\":\"47\"}\n\n: keepalive\n\n"
            "id: 2\nevent: approved\ndata: {}\n\n"),
    "claimed|{\"checkCode\":\"47\"}|1\x1e" "approved|{}|2", 3000, "# keepalive" },
};

typedef struct {
  GString *events;
  GString *comments;
} Recorder;

static void
append_record (GString    *out,
               const char *text)
{
  if (out->len > 0)
    g_string_append_c (out, '\x1e');
  g_string_append (out, text);
}

static void
on_event (const char *type,
          const char *data,
          const char *last_event_id,
          gpointer    user_data)
{
  Recorder *recorder = user_data;
  g_autofree char *record = g_strdup_printf ("%s|%s|%s", type, data, last_event_id);

  append_record (recorder->events, record);
}

static void
on_comment (const char *comment,
            gpointer    user_data)
{
  Recorder *recorder = user_data;
  /* '#' first, so an empty comment still shows. */
  g_autofree char *record = g_strconcat ("#", comment, NULL);

  append_record (recorder->comments, record);
}

typedef struct {
  char   *events;
  char   *comments;
  gint64  retry;
} Result;

static void
result_clear (Result *result)
{
  g_free (result->events);
  g_free (result->comments);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* Feeds @c->stream as the chunks [0, split) and [split, len), or in pieces of @step bytes when
 * @step is not 0. */
static void
parse_in_pieces (const Case *c,
                 gsize       split,
                 gsize       step,
                 Result     *result)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);
  g_autoptr(GError) error = NULL;

  /* Every chunk is a fresh heap copy, so reading past its end is caught by the sanitizers. */
  if (step == 0)
    {
      g_autofree char *first = g_memdup2 (c->stream, split);
      g_autofree char *second = g_memdup2 (c->stream + split, c->len - split);

      g_assert_true (crossing_sse_parser_feed (parser, first, split, &error));
      g_assert_true (crossing_sse_parser_feed (parser, second, c->len - split, &error));
    }
  else
    {
      for (gsize i = 0; i < c->len; i += step)
        {
          gsize n = MIN (step, c->len - i);
          g_autofree char *chunk = g_memdup2 (c->stream + i, n);

          g_assert_true (crossing_sse_parser_feed (parser, chunk, n, &error));
        }
    }

  g_assert_no_error (error);
  result->retry = crossing_sse_parser_get_retry (parser);
  result->events = g_string_free (recorder.events, FALSE);
  result->comments = g_string_free (recorder.comments, FALSE);
}

static void
check_result (const Case *c,
              const char *how,
              Result     *result)
{
  if (g_strcmp0 (result->events, c->expected) != 0)
    g_error ("%s, %s: got events «%s», want «%s»", c->name, how, result->events, c->expected);
  if (g_strcmp0 (result->comments, c->comments) != 0)
    g_error ("%s, %s: got comments «%s», want «%s»", c->name, how, result->comments,
             c->comments);
  if (result->retry != c->retry)
    g_error ("%s, %s: got retry %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT, c->name, how,
             result->retry, c->retry);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;

  for (gsize split = 0; split <= c->len; split++)
    {
      g_auto(Result) result = { NULL, };
      g_autofree char *how = g_strdup_printf ("split at %" G_GSIZE_FORMAT, split);

      parse_in_pieces (c, split, 0, &result);
      check_result (c, how, &result);
    }

  for (gsize step = 1; step <= 3; step++)
    {
      g_auto(Result) result = { NULL, };
      g_autofree char *how = g_strdup_printf ("in pieces of %" G_GSIZE_FORMAT, step);

      parse_in_pieces (c, 0, step, &result);
      check_result (c, how, &result);
    }
}

static void
test_line_limit (void)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);
  g_autofree char *at_limit = g_strnfill (94, 'a');        /* "data: " + 94 = 100 bytes */
  g_autofree char *line = g_strconcat ("data: ", at_limit, "\n\n", NULL);
  g_autofree char *long_line = g_strnfill (101, 'a');
  g_autoptr(GError) error = NULL;

  crossing_sse_parser_set_limits (parser, 100, 1000);
  g_assert_true (crossing_sse_parser_feed (parser, line, strlen (line), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder.events->len, ==, strlen ("message||") + 94);

  /* One byte more fails, even when it arrives one byte at a time. */
  for (gsize i = 0; i < 101 && error == NULL; i++)
    {
      gboolean ok = crossing_sse_parser_feed (parser, long_line + i, 1, &error);

      g_assert_true (ok == (i < 100));
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);

  /* Comments are lines too. */
  crossing_sse_parser_reset (parser);
  g_assert_false (crossing_sse_parser_feed (parser, ":", 1, NULL) &&
                  crossing_sse_parser_feed (parser, long_line, 101, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);

  /* After a reset the parser works again. */
  crossing_sse_parser_reset (parser);
  g_string_truncate (recorder.events, 0);
  g_assert_true (crossing_sse_parser_feed (parser, "data: ok\n\n", 10, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (recorder.events->str, ==, "message|ok|");

  g_string_free (recorder.events, TRUE);
  g_string_free (recorder.comments, TRUE);
}

static void
test_event_limit (void)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);
  g_autoptr(GError) error = NULL;
  guint fed = 0;

  /* Each line adds "0123456789\n", 11 bytes, to the data buffer: 90 fit in 1000, 91 do not. */
  crossing_sse_parser_set_limits (parser, 100, 1000);
  for (guint i = 0; i < 200 && error == NULL; i++, fed++)
    crossing_sse_parser_feed (parser, "data: 0123456789\n", 17, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpuint (fed, ==, 91);
  g_assert_cmpuint (recorder.events->len, ==, 0);
  g_clear_error (&error);

  /* The limit is per event: dispatching empties the buffer. */
  crossing_sse_parser_reset (parser);
  for (guint i = 0; i < 200; i++)
    {
      g_assert_true (crossing_sse_parser_feed (parser, "data: 0123456789\n\n", 18, &error));
      g_assert_no_error (error);
    }

  g_string_free (recorder.events, TRUE);
  g_string_free (recorder.comments, TRUE);
}

static void
test_default_limits (void)
{
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (NULL, NULL, NULL);
  g_autofree char *huge = g_strnfill (CROSSING_SSE_DEFAULT_MAX_LINE + 1, 'x');
  g_autoptr(GError) error = NULL;

  g_assert_false (crossing_sse_parser_feed (parser, huge, CROSSING_SSE_DEFAULT_MAX_LINE + 1,
                                            &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static void
count_event (const char *type,
             const char *data,
             const char *last_event_id,
             gpointer    user_data)
{
  guint *count = user_data;

  g_assert_cmpstr (type, ==, "tick");
  g_assert_cmpstr (data, ==, "{\"n\":1}");
  (*count)++;
}

static void
test_many_events_in_one_chunk (void)
{
  GString *stream = g_string_new (NULL);
  guint count = 0;
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (count_event, NULL, &count);
  g_autoptr(GError) error = NULL;

  /* 200000 events (about 7 MB) at once: a parser that rescans its input per line would take
   * minutes here, not milliseconds. */
  for (guint i = 0; i < 200000; i++)
    g_string_append (stream, "event: tick\ndata: {\"n\":1}\n\n");
  g_assert_true (crossing_sse_parser_feed (parser, stream->str, stream->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 200000);
  g_string_free (stream, TRUE);
}

static void
test_long_line_in_small_chunks (void)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);
  g_autofree char *payload = g_strnfill (60000, 'p');
  g_autoptr(GError) error = NULL;

  g_assert_true (crossing_sse_parser_feed (parser, "data: ", 6, &error));
  for (gsize i = 0; i < 60000; i += 7)
    g_assert_true (crossing_sse_parser_feed (parser, payload + i, MIN (7, 60000 - i), &error));
  g_assert_true (crossing_sse_parser_feed (parser, "\r", 1, &error));
  g_assert_true (crossing_sse_parser_feed (parser, "\n", 1, &error));
  g_assert_true (crossing_sse_parser_feed (parser, "\r\n", 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder.events->len, ==, strlen ("message||") + 60000);

  g_string_free (recorder.events, TRUE);
  g_string_free (recorder.comments, TRUE);
}

static void
test_reset_keeps_last_id_and_retry (void)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);

  g_assert_cmpstr (crossing_sse_parser_get_last_event_id (parser), ==, "");
  g_assert_cmpint (crossing_sse_parser_get_retry (parser), ==, -1);
  g_assert_true (crossing_sse_parser_feed (parser, STREAM (RETRY_THEN_PART), NULL));
  crossing_sse_parser_reset (parser);
  g_assert_cmpstr (crossing_sse_parser_get_last_event_id (parser), ==, "5");
  g_assert_cmpint (crossing_sse_parser_get_retry (parser), ==, 50);
  g_assert_true (crossing_sse_parser_feed (parser, STREAM ("data: b\n\n"), NULL));
  g_assert_cmpstr (recorder.events->str, ==, "message|a|5\x1emessage|b|5");

  g_string_free (recorder.events, TRUE);
  g_string_free (recorder.comments, TRUE);
}

static void
test_id_of_a_cut_event_is_not_taken (void)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);

  /* Resuming after event 2, which never arrived, would lose it for good. */
  g_assert_true (crossing_sse_parser_feed (parser, STREAM (ONE_THEN_CUT_TWO), NULL));
  g_assert_cmpstr (crossing_sse_parser_get_last_event_id (parser), ==, "1");
  crossing_sse_parser_reset (parser);
  g_assert_cmpstr (crossing_sse_parser_get_last_event_id (parser), ==, "1");
  g_assert_true (crossing_sse_parser_feed (parser, STREAM ("data: b\n\nid: 3\n\n"), NULL));
  g_assert_cmpstr (recorder.events->str, ==, "message|a|1\x1emessage|b|1");
  g_assert_cmpstr (crossing_sse_parser_get_last_event_id (parser), ==, "3");

  g_string_free (recorder.events, TRUE);
  g_string_free (recorder.comments, TRUE);
}

static void
test_reset_drops_partial_event_and_allows_bom (void)
{
  Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, &recorder);

  /* A connection that broke in the middle of an event, then a new one that starts with a
   * BOM: the half event is gone and the BOM is skipped again. */
  g_assert_true (crossing_sse_parser_feed (parser, STREAM ("data: a\r"), NULL));
  crossing_sse_parser_reset (parser);
  g_assert_true (crossing_sse_parser_feed (parser, STREAM ("\xEF\xBB\xBF" "data: b\n\n"), NULL));
  g_assert_cmpstr (recorder.events->str, ==, "message|b|");

  g_string_free (recorder.events, TRUE);
  g_string_free (recorder.comments, TRUE);
}

static void
record_all (CrossingSseParser *parser,
            Recorder          *recorder,
            GString           *out)
{
  g_string_append_printf (out, "%s\x1f%s\x1f%s\x1f%" G_GINT64_FORMAT, recorder->events->str,
                          recorder->comments->str,
                          crossing_sse_parser_get_last_event_id (parser),
                          crossing_sse_parser_get_retry (parser));
}

/* Random streams built from the pieces that matter to the grammar: however they are cut into
 * chunks, the parser must see the same events. */
static void
test_random_streams_agree_however_split (void)
{
  static const char *pieces[] = {
    "data", "event", "id", "retry", ":", " ", "  ", "\r", "\n", "\r\n", "x", "42", "\xEF\xBB\xBF",
    "\xEF", "\t", "\xc3\xbc", "dat",
  };

  for (guint round = 0; round < 500; round++)
    {
      GString *stream = g_string_new (NULL);
      guint n_pieces = (guint) g_test_rand_int_range (0, 60);
      GString *whole = g_string_new (NULL);
      GString *split = g_string_new (NULL);

      for (guint i = 0; i < n_pieces; i++)
        {
          if (g_test_rand_int_range (0, 40) == 0)
            g_string_append_c (stream, '\0');
          else
            g_string_append (stream, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
        }

      for (guint pass = 0; pass < 2; pass++)
        {
          Recorder recorder = { g_string_new (NULL), g_string_new (NULL) };
          g_autoptr(CrossingSseParser) parser =
            crossing_sse_parser_new (on_event, on_comment, &recorder);
          gsize at = 0;

          while (at < stream->len)
            {
              gsize n = pass == 0 ? stream->len
                                  : (gsize) g_test_rand_int_range (0, 6);
              g_autofree char *chunk = NULL;

              n = MIN (n, stream->len - at);
              chunk = g_memdup2 (stream->str + at, n);
              g_assert_true (crossing_sse_parser_feed (parser, chunk, n, NULL));
              at += n;
            }
          record_all (parser, &recorder, pass == 0 ? whole : split);
          g_string_free (recorder.events, TRUE);
          g_string_free (recorder.comments, TRUE);
        }

      g_assert_cmpstr (whole->str, ==, split->str);
      g_string_free (whole, TRUE);
      g_string_free (split, TRUE);
      g_string_free (stream, TRUE);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/sse-parser/stream/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/protocol/sse-parser/random-streams-agree-however-split",
                   test_random_streams_agree_however_split);
  g_test_add_func ("/protocol/sse-parser/line-limit-bounds-memory", test_line_limit);
  g_test_add_func ("/protocol/sse-parser/event-limit-bounds-memory", test_event_limit);
  g_test_add_func ("/protocol/sse-parser/default-limits-apply", test_default_limits);
  g_test_add_func ("/protocol/sse-parser/many-events-in-one-chunk", test_many_events_in_one_chunk);
  g_test_add_func ("/protocol/sse-parser/long-line-in-small-chunks",
                   test_long_line_in_small_chunks);
  g_test_add_func ("/protocol/sse-parser/id-of-a-cut-event-is-not-taken",
                   test_id_of_a_cut_event_is_not_taken);
  g_test_add_func ("/protocol/sse-parser/reset-keeps-last-event-id-and-retry",
                   test_reset_keeps_last_id_and_retry);
  g_test_add_func ("/protocol/sse-parser/reset-drops-partial-event-and-allows-bom",
                   test_reset_drops_partial_event_and_allows_bom);
  return g_test_run ();
}
