/*
 * test_count_tokens.c - the local token estimate of providers/count_tokens.c:
 * the weighing of UTF-8 text, every fixed overhead, what is left out
 * (thinking), and that real client bodies decoded by their family give the
 * documented numbers.
 */
#include <string.h>

#include "core/arena.h"
#include "providers/count_tokens.h"
#include "translate/family.h"
#include "translate/ir.h"
#include "tests/unit/check.h"

static struct arena arena;

static struct ir_request *new_req(void)
{
	struct ir_request *r = arena_zalloc(&arena, sizeof(*r));

	r->parallel_tool_calls = -1;
	return r;
}

static struct ir_part *user_text(struct ir_request *r, const char *s)
{
	struct ir_message *m = ir_add_message(&arena, r, IR_ROLE_USER);
	struct ir_part *p = ir_add_part(&arena, m, IR_PART_TEXT);

	p->text = ir_str_c(s);
	return p;
}

static void test_empty(void)
{
	/* just the request overhead */
	CHECK_INT(count_tokens_estimate(new_req()), 3);
}

static void test_ascii_rounding(void)
{
	struct ir_request *r = new_req();

	/* 3 + 4 (message) + ceil(5 / 4) = 2 */
	user_text(r, "hello");
	CHECK_INT(count_tokens_estimate(r), 9);
	r = new_req();
	user_text(r, "abcd"); /* exactly one token */
	CHECK_INT(count_tokens_estimate(r), 8);
	r = new_req();
	user_text(r, ""); /* empty text: overheads only */
	CHECK_INT(count_tokens_estimate(r), 7);
}

static void test_utf8_weights(void)
{
	struct ir_request *r = new_req();

	/* 4 CJK characters (3 bytes each) = 4 tokens */
	user_text(r, "\xe4\xb8\x96\xe7\x95\x8c\xe4\xbd\xa0\xe5\xa5\xbd");
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 4);
	/* 4 Cyrillic letters (2 bytes each) = 2 tokens */
	r = new_req();
	user_text(r, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2");
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 2);
	/* an emoji (4 bytes) is one token; a stray continuation byte a quarter */
	r = new_req();
	user_text(r, "\xf0\x9f\x98\x80\x80");
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 2);
	/* a truncated sequence counts byte by byte */
	r = new_req();
	user_text(r, "\xe4\xb8");
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 1);
}

static void test_quarters_sum_before_rounding(void)
{
	struct ir_request *r = new_req();
	struct ir_message *m;
	struct ir_part *p;

	/* two 1-byte texts in one message: 2 quarters, one token, not two */
	user_text(r, "a");
	m = &r->messages[0];
	p = ir_add_part(&arena, m, IR_PART_TEXT);
	p->text = IR_STR_LIT("b");
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 1);
}

static void test_system(void)
{
	struct ir_request *r = new_req();
	struct ir_part *p = ir_add_system(&arena, r);

	p->text = IR_STR_LIT("You are terse.");   /* 14 bytes */
	p = ir_add_system(&arena, r);
	p->text = IR_STR_LIT("ab");               /* 2 bytes */
	/* 3 + 4 (system) + ceil(16 / 4) */
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 4);
}

static void test_images_and_files(void)
{
	struct ir_request *r = new_req();
	struct ir_message *m = ir_add_message(&arena, r, IR_ROLE_USER);
	struct ir_part *p;

	p = ir_add_part(&arena, m, IR_PART_IMAGE);
	p->mime = "image/png";
	p->data = IR_STR_LIT("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk");
	p = ir_add_part(&arena, m, IR_PART_IMAGE);
	p->url = "https://example.com/cat.jpg";
	p = ir_add_part(&arena, m, IR_PART_FILE);
	p->mime = "application/pdf";
	p->data = IR_STR_LIT("JVBERi0xLjQK");
	p = ir_add_part(&arena, m, IR_PART_FILE);
	p->text = IR_STR_LIT("plain text doc!!"); /* 16 bytes: 4 tokens */
	CHECK_INT(count_tokens_estimate(r), 3 + 4 + 3 * COUNT_IMAGE_TOKENS + 4);
}

static void test_tools(void)
{
	struct ir_request *r = new_req();
	struct ir_message *m;
	struct ir_part *p, *rp;
	struct ir_tool *t;

	user_text(r, "abcd");                              /* 4 + 1 */
	m = ir_add_message(&arena, r, IR_ROLE_ASSISTANT);  /* 4 */
	p = ir_add_part(&arena, m, IR_PART_THINKING);      /* not counted */
	p->text = IR_STR_LIT("long thoughts that must not count at all");
	p->signature = IR_STR_LIT("sig");
	p = ir_add_part(&arena, m, IR_PART_TOOL_CALL);     /* 4 + (8 + 12) / 4 */
	p->call_id = "call_1";
	p->name = "get_wea";                               /* 7 */
	p->args = IR_STR_LIT("{\"city\":\"Pa\"}");          /* 13: 20 quarters -> 5 */
	m = ir_add_message(&arena, r, IR_ROLE_USER);       /* 4 */
	p = ir_add_part(&arena, m, IR_PART_TOOL_RESULT);   /* 4 */
	p->call_id = "call_1";
	rp = ir_add_result_part(&arena, p, IR_PART_TEXT);
	rp->text = IR_STR_LIT("sunny!!!");                 /* 8 quarters */
	p = ir_add_part(&arena, m, IR_PART_TOOL_RESULT);   /* 4, json result */
	p->call_id = "call_1";
	p->result_json = IR_STR_LIT("{\"t\":1}");           /* 7 quarters */
	t = ir_add_tool(&arena, r, IR_TOOL_FUNCTION);      /* 8 */
	t->kind = IR_TOOL_FUNCTION;
	t->name = "get_wea";                               /* 7 */
	t->description = IR_STR_LIT("Weather");            /* 7 */
	t->parameters = IR_STR_LIT("{\"type\":\"object\"}"); /* 17 */
	t->strict = -1;
	/* quarters of text: 4 + 20 + 8 + 7 + 31 = 70 -> 18 tokens (rounded up)
	   overheads: 3 + 3 * 4 (messages) + 4 (call) + 2 * 4 (results) + 8 (tool) = 35 */
	CHECK_INT(count_tokens_estimate(r), 35 + 18);
}

static void test_decoded_claude_body(void)
{
	static const char body[] =
		"{\"model\":\"claude-sonnet-4-5\",\"system\":\"Be brief.\","
		"\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"}],"
		"\"tools\":[{\"name\":\"calc\",\"description\":\"math\","
		"\"input_schema\":{\"type\":\"object\"}}]}";
	struct xlate_ctx x;
	struct ir_request r;
	struct apierr e = { 0 };

	xlate_ctx_init(&x, &arena, true, 1700000000);
	CHECK_INT(family_claude.decode_request(&x, body, sizeof(body) - 1, &r, &e), 0);
	/* text: 9 + 12 + 4 + 4 + 17 = 46 quarters -> 12; overheads 3 + 4 + 4 + 8 */
	CHECK_INT(count_tokens_estimate(&r), 19 + 12);
}

static void test_decoded_gemini_body(void)
{
	static const char body[] =
		"{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello there\"}]},"
		"{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]}]}";
	struct xlate_ctx x;
	struct ir_request r;
	struct apierr e = { 0 };

	xlate_ctx_init(&x, &arena, true, 1700000000);
	CHECK_INT(family_gemini.decode_request(&x, body, sizeof(body) - 1, &r, &e), 0);
	/* 11 + 2 = 13 quarters -> 4; 3 + 2 messages */
	CHECK_INT(count_tokens_estimate(&r), 3 + 8 + 4);
}

static void test_deterministic(void)
{
	struct ir_request *r = new_req();

	user_text(r, "the same input gives the same count");
	CHECK_INT(count_tokens_estimate(r), count_tokens_estimate(r));
}

int main(void)
{
	arena_init(&arena, 64L * 1024 * 1024);
	RUN(test_empty);
	RUN(test_ascii_rounding);
	RUN(test_utf8_weights);
	RUN(test_quarters_sum_before_rounding);
	RUN(test_system);
	RUN(test_images_and_files);
	RUN(test_tools);
	RUN(test_decoded_claude_body);
	RUN(test_decoded_gemini_body);
	RUN(test_deterministic);
	arena_release(&arena);
	return CHECK_DONE();
}
