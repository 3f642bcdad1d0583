/*
 * test_ir.c - the IR helpers and checker: builders, data URLs, effort <->
 * budget, signature policy and tags, the event-sequence checker (one test
 * per rule), stream <-> response bridging round trip, xlate ids, the
 * passthrough body edit and the family registry.
 */
#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "translate/family.h"
#include "translate/ir.h"
#include "tests/unit/check.h"

static struct arena arena;

static void test_builders(void)
{
	struct ir_request r;
	struct ir_message *m;
	struct ir_part *p;
	int i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 100; i++) {
		m = ir_add_message(&arena, &r, i % 2 ? IR_ROLE_ASSISTANT : IR_ROLE_USER);
		CHECK(m != NULL);
		p = ir_add_part(&arena, m, IR_PART_TEXT);
		CHECK(p != NULL && p->text.p == NULL && p->kind == IR_PART_TEXT);
		p->text = IR_STR_LIT("x");
	}
	CHECK_INT(r.nmessages, 100);
	CHECK_INT(r.messages[99].role, IR_ROLE_ASSISTANT);
	CHECK_MEM(r.messages[57].parts[0].text.p, 1, "x");
	CHECK(ir_tail_message(&arena, &r, IR_ROLE_ASSISTANT) == &r.messages[99]);
	CHECK(ir_tail_message(&arena, &r, IR_ROLE_USER) == &r.messages[100]);
	CHECK_INT(ir_add_stop(&arena, &r, "a", 1), 0);
	CHECK_INT(r.gen.nstop, 1);
	CHECK_INT(ir_add_tool(&arena, &r, IR_TOOL_FUNCTION)->strict, -1);
}

static void test_strings(void)
{
	struct ir_str s = ir_str_c("hello");
	struct ir_part call;

	CHECK_INT(s.n, 5);
	CHECK(ir_str_eq(s, "hello"));
	CHECK(!ir_str_eq(s, "hell"));
	CHECK(!ir_str_eq(IR_STR_NONE, ""));
	CHECK(ir_str_eq(IR_STR_LIT(""), ""));
	CHECK(ir_str_dup(&arena, IR_STR_NONE) == NULL);
	CHECK_STR(ir_str_dup(&arena, s), "hello");

	memset(&call, 0, sizeof(call));
	call.kind = IR_PART_TOOL_CALL;
	CHECK(ir_str_eq(ir_args_object(&arena, &call), "{}"));
	call.args = IR_STR_LIT("{\"a\": [1]}");
	CHECK(ir_str_eq(ir_args_object(&arena, &call), "{\"a\": [1]}"));
	call.args = IR_STR_LIT("[1]");
	CHECK(ir_str_eq(ir_args_object(&arena, &call), "{}"));
	call.args = IR_STR_LIT("{\"a\":");
	CHECK(ir_str_eq(ir_args_object(&arena, &call), "{}"));

	{
		struct ir_str t;
		CHECK_INT(ir_custom_input(&arena, IR_STR_LIT("{\"input\":\"a\\nb\"}"), &t), 0);
		CHECK(ir_str_eq(t, "a\nb"));
		CHECK_INT(ir_custom_input(&arena, IR_STR_LIT("{\"input\":1}"), &t), -EINVAL);
		CHECK_INT(ir_custom_input(&arena, IR_STR_LIT("[]"), &t), -EINVAL);
		CHECK_INT(ir_custom_input(&arena, IR_STR_NONE, &t), -EINVAL);
	}
}

static void test_data_url(void)
{
	const char *mime = "?";
	struct ir_str d;

	CHECK_INT(ir_data_url_parse(&arena, "data:image/png;base64,AAAA", 26, &mime, &d), 0);
	CHECK_STR(mime, "image/png");
	CHECK(ir_str_eq(d, "AAAA"));
	CHECK_INT(ir_data_url_parse(&arena, "data:;base64,QQ==", 17, &mime, &d), 0);
	CHECK(mime == NULL);
	CHECK(ir_str_eq(d, "QQ=="));
	CHECK_INT(ir_data_url_parse(&arena, "data:text/plain;charset=utf-8;base64,QQ==", 41, &mime, &d), 0);
	CHECK_STR(mime, "text/plain");
	CHECK_INT(ir_data_url_parse(&arena, "data:text/plain,hello", 21, &mime, &d), -EINVAL);
	CHECK_INT(ir_data_url_parse(&arena, "https://x/y.png", 15, &mime, &d), -EINVAL);
	CHECK_INT(ir_data_url_parse(&arena, "data:", 5, &mime, &d), -EINVAL);
	CHECK_STR(ir_data_url(&arena, "image/jpeg", IR_STR_LIT("QUJD")), "data:image/jpeg;base64,QUJD");
}

static void test_effort(void)
{
	int64_t b = 7;

	CHECK_INT(ir_effort_to_budget("high", &b), 0);
	CHECK_INT(b, 24576);
	CHECK_INT(ir_effort_to_budget("auto", &b), 0);
	CHECK_INT(b, -1);
	CHECK_INT(ir_effort_to_budget("none", &b), 0);
	CHECK_INT(b, 0);
	CHECK_INT(ir_effort_to_budget("bogus", &b), -EINVAL);
	CHECK_INT(ir_effort_to_budget(NULL, &b), -EINVAL);
	CHECK_STR(ir_budget_to_effort(-1), "auto");
	CHECK_STR(ir_budget_to_effort(0), "none");
	CHECK_STR(ir_budget_to_effort(512), "minimal");
	CHECK_STR(ir_budget_to_effort(513), "low");
	CHECK_STR(ir_budget_to_effort(8192), "medium");
	CHECK_STR(ir_budget_to_effort(24576), "high");
	CHECK_STR(ir_budget_to_effort(24577), "xhigh");
}

static void test_signatures(void)
{
	struct ir_str out;
	enum ir_family f;

	CHECK(ir_sig_ok(IR_FAM_CLAUDE, IR_FAM_CLAUDE));
	CHECK(!ir_sig_ok(IR_FAM_CLAUDE, IR_FAM_GEMINI));
	CHECK(ir_sig_ok(IR_FAM_GEMINI, IR_FAM_GEMINI_CLI));
	CHECK(ir_sig_ok(IR_FAM_GEMINI_CLI, IR_FAM_GEMINI));
	CHECK(!ir_sig_ok(IR_FAM_NONE, IR_FAM_NONE));
	CHECK(!ir_sig_ok(IR_FAM_RESPONSES, IR_FAM_OPENAI));

	out = ir_sig_tag(&arena, IR_FAM_CLAUDE, IR_FAM_CLAUDE, IR_STR_LIT("abc"));
	CHECK(ir_str_eq(out, "abc"));
	out = ir_sig_tag(&arena, IR_FAM_RESPONSES, IR_FAM_CLAUDE, IR_STR_LIT("gAAA"));
	CHECK(ir_str_eq(out, "cliproxy:responses:gAAA"));
	CHECK(ir_sig_tag(&arena, IR_FAM_NONE, IR_FAM_CLAUDE, IR_STR_LIT("x")).p == NULL);

	ir_sig_untag(IR_STR_LIT("cliproxy:responses:gAAA"), IR_FAM_CLAUDE, &f, &out);
	CHECK_INT(f, IR_FAM_RESPONSES);
	CHECK(ir_str_eq(out, "gAAA"));
	ir_sig_untag(IR_STR_LIT("cliproxy:gemini-cli:s"), IR_FAM_CLAUDE, &f, &out);
	CHECK_INT(f, IR_FAM_GEMINI_CLI);
	CHECK(ir_str_eq(out, "s"));
	ir_sig_untag(IR_STR_LIT("cliproxy:gemini:s"), IR_FAM_CLAUDE, &f, &out);
	CHECK_INT(f, IR_FAM_GEMINI);
	ir_sig_untag(IR_STR_LIT("EqQBCgIY"), IR_FAM_CLAUDE, &f, &out);
	CHECK_INT(f, IR_FAM_CLAUDE);
	CHECK(ir_str_eq(out, "EqQBCgIY"));
	ir_sig_untag(IR_STR_LIT("cliproxy:nope:x"), IR_FAM_CLAUDE, &f, &out);
	CHECK_INT(f, IR_FAM_CLAUDE);
	CHECK(ir_str_eq(out, "cliproxy:nope:x"));
}

/* ---- event checker ------------------------------------------------------- */

static struct ir_event ev_of(enum ir_ev_kind k, int index)
{
	struct ir_event e;

	memset(&e, 0, sizeof(e));
	e.kind = k;
	e.index = index;
	return e;
}

static struct ir_event start_block(int index, enum ir_block_kind b)
{
	struct ir_event e = ev_of(IR_EV_BLOCK_START, index);

	e.block = b;
	if (b == IR_BLOCK_TOOL_CALL) {
		e.call_id = "call_1";
		e.name = "f";
	}
	return e;
}

static struct ir_event delta(int index, enum ir_delta_kind d, const char *text)
{
	struct ir_event e = ev_of(IR_EV_DELTA, index);

	e.delta = d;
	e.text = ir_str_c(text);
	if (d == IR_DELTA_SIGNATURE)
		e.sig_family = IR_FAM_CLAUDE;
	return e;
}

/* Feed events; return the index of the first rejected one, or -1 if all
   pass and the end check passes, or n if only the end check fails. */
static int run_checker(const struct ir_event *evs, int n, const char **why)
{
	struct ir_checker c;
	int i;

	ir_checker_init(&c);
	for (i = 0; i < n; i++)
		if (ir_check_event(&c, &evs[i]) < 0) {
			*why = c.why;
			return i;
		}
	if (ir_check_end(&c) < 0) {
		*why = c.why;
		return n;
	}
	return -1;
}

static void test_checker_good(void)
{
	struct ir_event evs[12];
	const char *why = NULL;
	int n = 0;

	evs[n++] = ev_of(IR_EV_MESSAGE_START, 0);
	evs[n++] = ev_of(IR_EV_PING, 0);
	evs[n++] = start_block(0, IR_BLOCK_THINKING);
	evs[n++] = delta(0, IR_DELTA_THINKING, "hm");
	evs[n++] = delta(0, IR_DELTA_SIGNATURE, "sig");
	evs[n++] = ev_of(IR_EV_BLOCK_STOP, 0);
	evs[n++] = ev_of(IR_EV_USAGE, 0);
	evs[n++] = start_block(1, IR_BLOCK_TOOL_CALL);
	evs[n++] = delta(1, IR_DELTA_TOOL_ARGS, "{}");
	evs[n++] = ev_of(IR_EV_BLOCK_STOP, 1);
	evs[n++] = ev_of(IR_EV_MESSAGE_STOP, 0);
	CHECK_INT(run_checker(evs, n, &why), -1);

	/* an error may come first and ends the stream */
	evs[0] = ev_of(IR_EV_ERROR, 0);
	evs[0].status = 529;
	CHECK_INT(run_checker(evs, 1, &why), -1);
}

static void test_checker_violations(void)
{
	struct ir_event evs[8];
	const char *why = NULL;

	/* no message_start */
	evs[0] = start_block(0, IR_BLOCK_TEXT);
	CHECK_INT(run_checker(evs, 1, &why), 0);
	/* two message_starts */
	evs[0] = ev_of(IR_EV_MESSAGE_START, 0);
	evs[1] = ev_of(IR_EV_MESSAGE_START, 0);
	CHECK_INT(run_checker(evs, 2, &why), 1);
	/* index must start at 0 and increase by one */
	evs[1] = start_block(1, IR_BLOCK_TEXT);
	CHECK_INT(run_checker(evs, 2, &why), 1);
	/* delta of the wrong kind */
	evs[1] = start_block(0, IR_BLOCK_TEXT);
	evs[2] = delta(0, IR_DELTA_THINKING, "x");
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* delta outside its block */
	evs[2] = delta(1, IR_DELTA_TEXT, "x");
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* delta without payload */
	evs[2] = delta(0, IR_DELTA_TEXT, "x");
	evs[2].text = IR_STR_NONE;
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* nested block */
	evs[2] = start_block(1, IR_BLOCK_TEXT);
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* message_stop with an open block */
	evs[2] = ev_of(IR_EV_MESSAGE_STOP, 0);
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* tool call without id */
	evs[1] = start_block(0, IR_BLOCK_TOOL_CALL);
	evs[1].call_id = "";
	CHECK_INT(run_checker(evs, 2, &why), 1);
	/* signature delta without its family */
	evs[1] = start_block(0, IR_BLOCK_THINKING);
	evs[2] = delta(0, IR_DELTA_SIGNATURE, "s");
	evs[2].sig_family = IR_FAM_NONE;
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* events after the stop */
	evs[1] = ev_of(IR_EV_MESSAGE_STOP, 0);
	evs[2] = ev_of(IR_EV_USAGE, 0);
	CHECK_INT(run_checker(evs, 3, &why), 2);
	/* stream ends without a stop */
	evs[1] = start_block(0, IR_BLOCK_TEXT);
	evs[2] = ev_of(IR_EV_BLOCK_STOP, 0);
	CHECK_INT(run_checker(evs, 3, &why), 3);
	CHECK(why != NULL);
	/* error without a status */
	evs[1] = ev_of(IR_EV_ERROR, 0);
	CHECK_INT(run_checker(evs, 2, &why), 1);
}

static void test_check_request(void)
{
	struct ir_request r;
	struct ir_message *m;
	struct ir_part *p;
	const char *why = NULL;

	memset(&r, 0, sizeof(r));
	m = ir_add_message(&arena, &r, IR_ROLE_USER);
	p = ir_add_part(&arena, m, IR_PART_TEXT);
	p->text = IR_STR_LIT("hi");
	CHECK_INT(ir_check_request(&r, &why), 0);

	/* a tool result for a call that does not exist */
	p = ir_add_part(&arena, m, IR_PART_TOOL_RESULT);
	p->call_id = "call_9";
	CHECK_INT(ir_check_request(&r, &why), -EINVAL);
	CHECK_STR(why, "tool result for an unknown call id");

	/* ... the call comes first: fine */
	memset(&r, 0, sizeof(r));
	m = ir_add_message(&arena, &r, IR_ROLE_ASSISTANT);
	p = ir_add_part(&arena, m, IR_PART_TOOL_CALL);
	p->call_id = "call_9";
	p->name = "f";
	m = ir_add_message(&arena, &r, IR_ROLE_USER);
	p = ir_add_part(&arena, m, IR_PART_TOOL_RESULT);
	p->call_id = "call_9";
	CHECK_INT(ir_check_request(&r, &why), 0);
	CHECK_STR(ir_call_name(&r, "call_9"), "f");
	CHECK(ir_call_name(&r, "call_8") == NULL);

	/* a tool call in a user message */
	p = ir_add_part(&arena, m, IR_PART_TOOL_CALL);
	p->call_id = "c";
	p->name = "f";
	CHECK_INT(ir_check_request(&r, &why), -EINVAL);
	m->nparts--;

	/* image with both data and url */
	p = ir_add_part(&arena, m, IR_PART_IMAGE);
	p->data = IR_STR_LIT("AA");
	p->url = "https://x";
	CHECK_INT(ir_check_request(&r, &why), -EINVAL);
	p->url = NULL;
	CHECK_INT(ir_check_request(&r, &why), 0);

	/* thinking with a signature of no family */
	m = ir_add_message(&arena, &r, IR_ROLE_ASSISTANT);
	p = ir_add_part(&arena, m, IR_PART_THINKING);
	p->text = IR_STR_LIT("t");
	p->signature = IR_STR_LIT("s");
	CHECK_INT(ir_check_request(&r, &why), -EINVAL);
	p->sig_family = IR_FAM_CLAUDE;
	CHECK_INT(ir_check_request(&r, &why), 0);

	/* nameless function tool */
	ir_add_tool(&arena, &r, IR_TOOL_FUNCTION);
	CHECK_INT(ir_check_request(&r, &why), -EINVAL);
}

/* ---- bridging ------------------------------------------------------------ */

static int collect(void *arg, const struct ir_event *ev)
{
	struct ir_checker *c = arg;
	return ir_check_event(c, ev) < 0 ? -EINVAL : 0;
}

static void test_bridge_roundtrip(void)
{
	struct ir_response r, *r2;
	struct ir_part *p;
	struct ir_checker c;
	struct ir_acc acc;
	struct buf d1, d2;

	memset(&r, 0, sizeof(r));
	r.id = "msg_1";
	r.model = "m";
	p = ir_add_resp_part(&arena, &r, IR_PART_THINKING);
	p->text = IR_STR_LIT("think");
	p->signature = IR_STR_LIT("sig");
	p->sig_family = IR_FAM_CLAUDE;
	p = ir_add_resp_part(&arena, &r, IR_PART_REDACTED_THINKING);
	p->signature = IR_STR_LIT("opaque");
	p->sig_family = IR_FAM_CLAUDE;
	p = ir_add_resp_part(&arena, &r, IR_PART_TEXT);
	p->text = IR_STR_LIT("hello");
	p = ir_add_resp_part(&arena, &r, IR_PART_TOOL_CALL);
	p->call_id = "c1";
	p->name = "f";
	p->args = IR_STR_LIT("{\"a\":1}");
	p = ir_add_resp_part(&arena, &r, IR_PART_TOOL_CALL);
	p->call_id = "c2";
	p->name = "apply_patch";
	p->custom = true;
	p->text = IR_STR_LIT("*** Begin Patch");
	r.stop = IR_STOP_TOOL_USE;
	r.stop_raw = "tool_use";
	r.usage.has_input = r.usage.has_output = r.usage.has_cached = true;
	r.usage.input = 100;
	r.usage.output = 20;
	r.usage.cached = 50;
	CHECK_INT(ir_check_response(&r, NULL), 0);

	ir_checker_init(&c);
	CHECK_INT(ir_response_events(&r, collect, &c), 0);
	CHECK_INT(ir_check_end(&c), 0);

	ir_acc_init(&acc, &arena);
	CHECK_INT(ir_response_events(&r, ir_acc_event, &acc), 0);
	CHECK(acc.stopped && !acc.failed);
	r2 = &acc.resp;
	buf_init(&d1, &arena, 1 << 20);
	buf_init(&d2, &arena, 1 << 20);
	ir_dump_response(&d1, &r);
	ir_dump_response(&d2, r2);
	CHECK_STR(d2.p, d1.p);

	/* an error event: accumulated, further events refused */
	{
		struct ir_event e = ev_of(IR_EV_ERROR, 0);
		e.status = 500;
		e.message = IR_STR_LIT("boom");
		ir_acc_init(&acc, &arena);
		CHECK_INT(ir_acc_event(&acc, &e), -EPROTO);
		CHECK(acc.failed);
		CHECK_INT(acc.err.status, 500);
	}
}

/* ---- family.c ------------------------------------------------------------ */

static void test_ids(void)
{
	struct xlate_ctx c;
	const char *a, *b;
	size_t i;

	xlate_ctx_init(&c, &arena, true, 1700000000);
	CHECK_STR(xlate_id(&c, "toolu_", 24), "toolu_000000000000000000000001");
	CHECK_STR(xlate_id(&c, "x", 3), "x002");
	xlate_ctx_init(&c, &arena, false, 0);
	a = xlate_id(&c, "msg_", 24);
	b = xlate_id(&c, "msg_", 24);
	CHECK(a && b && strlen(a) == 28 && strcmp(a, b) != 0);
	for (i = 4; a && a[i]; i++)
		CHECK((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
		      (a[i] >= '0' && a[i] <= '9'));
}

static void test_names(void)
{
	struct xlate_ctx c;

	xlate_ctx_init(&c, &arena, true, 0);
	CHECK_STR(xlate_name_sent(&c, "a/b"), "a/b");
	CHECK_INT(xlate_name_add(&c, "a/b", "a_b"), 0);
	CHECK_STR(xlate_name_sent(&c, "a/b"), "a_b");
	CHECK_STR(xlate_name_orig(&c, "a_b"), "a/b");
	CHECK_STR(xlate_name_orig(&c, "zz"), "zz");
}

static const char *edit(const char *in, const char *model, const char *key, bool stream)
{
	struct xlate_ctx c;
	struct buf b;
	struct apierr e = { 0 };
	int r;

	xlate_ctx_init(&c, &arena, true, 0);
	buf_init(&b, &arena, 1 << 20);
	r = xlate_json_edit(&c, in, strlen(in), model, key, stream, &b, &e);
	if (r < 0)
		return arena_printf(&arena, "error %d %d", r, e.status);
	return b.p;
}

static void test_json_edit(void)
{
	CHECK_STR(edit("{\"model\": \"a\", \"x\": [1,2] , \"stream\":false}", "b\"c", "stream", true),
		  "{\"model\": \"b\\\"c\", \"x\": [1,2] , \"stream\":true}");
	CHECK_STR(edit(" { \"x\":1 }", "m", "stream", true), " {\"model\":\"m\",\"stream\":true, \"x\":1 }");
	CHECK_STR(edit("{}", "m", "stream", true), "{\"model\":\"m\",\"stream\":true}");
	CHECK_STR(edit("{}", "m", "stream", false), "{\"model\":\"m\"}");
	CHECK_STR(edit("{}", NULL, "stream", false), "{}");
	CHECK_STR(edit("{\"stream\":true,\"model\":\"a\"}", "z", "stream", false),
		  "{\"stream\":false,\"model\":\"z\"}");
	CHECK_STR(edit("{\"model\":\"a\"}", "z", NULL, true), "{\"model\":\"z\"}");
	CHECK_STR(edit("{\"model\":\"a\",\"m\":{\"model\":\"q\"}}", "z", NULL, true),
		  "{\"model\":\"z\",\"m\":{\"model\":\"q\"}}");
	CHECK_STR(edit("[1]", "z", NULL, true), "error -22 400");
	CHECK_STR(edit("{", "z", NULL, true), "error -22 400");
}

static void test_registry(void)
{
	size_t i, n = family_count();

	CHECK(n >= 1);
	CHECK(family_by_name("claude") != NULL);
	CHECK(family_by_name("nope") == NULL);
	CHECK(family_by_name(NULL) == NULL);
	CHECK(family_by_id(IR_FAM_CLAUDE) == family_by_name("claude"));
	for (i = 0; i < n; i++) {
		const struct family *f = family_at(i);
		CHECK(f != NULL);
		CHECK(family_by_name(f->name) == f);
		CHECK(f->decode_request && f->encode_request && f->passthrough_request);
		CHECK(f->decode_response && f->encode_response);
		CHECK(f->dec_init && f->decode_event && f->decode_end);
		CHECK(f->enc_init && f->encode_event && f->decode_error && f->encode_error);
	}
	CHECK(family_at(n) == NULL);
}

int main(void)
{
	arena_init(&arena, 1L << 30);
	RUN(test_builders);
	RUN(test_strings);
	RUN(test_data_url);
	RUN(test_effort);
	RUN(test_signatures);
	RUN(test_checker_good);
	RUN(test_checker_violations);
	RUN(test_check_request);
	RUN(test_bridge_roundtrip);
	RUN(test_ids);
	RUN(test_names);
	RUN(test_json_edit);
	RUN(test_registry);
	arena_release(&arena);
	return CHECK_DONE();
}
