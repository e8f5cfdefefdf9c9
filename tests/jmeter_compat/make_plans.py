#!/usr/bin/env python3
"""Writes tests/jmeter_compat/plans/*.jmx (JMeter 2.13 GUI-style XML).

The plans are committed; this script is how they were made. After changing a plan here,
run it, then re-record its golden file with real JMeter:
    python3 tests/jmeter_compat/make_plans.py
    scripts/jmeter_compare.sh --record tests/jmeter_compat/plans/NAME.jmx
Every plan is bounded (fixed loops, few threads) and sends traffic only to 127.0.0.1 on the
port ${__P(port,8080)}, except the deliberate connection refused on 127.0.0.1:1 and
dns_servers' names, which its fixture's DNS (dns_servers.fixture) resolves to 127.0.0.1 or
127.0.0.9 only.
"""

import os

from jmx import *  # noqa: F401,F403  (small DSL, see jmx.py)

HERE = os.path.dirname(os.path.abspath(__file__))
PLANS = os.path.join(HERE, "plans")

BODY = "Assertion.response_data"
CODE = "Assertion.response_code"
MESSAGE = "Assertion.response_message"
HEADERS = "Assertion.response_headers"
URL = "Assertion.sample_label"


def plan(name, comments, children, **kw):
    return name, test_plan(name, comments, [http_defaults()] + children, **kw)


def js(expr):
    return "${__javaScript(" + expr + ")}"


# ---------------------------------------------------------------------------------------------

def thread_groups():
    return plan(
        "thread_groups",
        "setUp, regular and tearDown thread groups; several threads and loops; thread names "
        "and numbering.",
        [setup_group("setup", 1, 1, [http("setup-hello", "/hello.txt")]),
         thread_group("main", 3, 2, [
             http("main-echo", "${base}?t=${__threadNum}&c=${__counter(TRUE,)}"),
             http("main-hello", "/hello.txt"),
         ]),
         thread_group("second", 2, 1, [
             http("second-echo", "/echo?t=${__threadNum}&g=second"),
         ]),
         teardown_group("teardown", 1, 1, [http("teardown-hello", "/hello.txt")])],
        udv=[("base", "/echo")])


def functions():
    return plan(
        "functions",
        "Deterministic functions evaluated in sampler paths; the URL shows each value.",
        [udv("names", [("name1", "alpha"), ("name2", "beta")]),
         thread_group("fn", 2, 2, [
             http("fn-threadnum", "/echo?tn=${__threadNum}"),
             http("fn-intsum", "/echo?sum=${__intSum(${__threadNum},10,res)}"),
             http("fn-longsum", "/echo?lsum=${__longSum(1,2)}"),
             http("fn-char", "/echo?ch=${__char(65,66)}"),
             http("fn-p", "/echo?p=${__P(not_set,dflt)}"),
             http("fn-property", "/echo?prop=${__property(not_set,,dflt2)}"),
             http("fn-vars", "/echo?res=${res}&v=${__V(name${__threadNum})}"
                             "&c=${__counter(TRUE,)}"),
             http("fn-split", "/echo?s=${__split(a-b-c,parts,-)}"),
             http("fn-split-vars", "/echo?p1=${parts_1}&p3=${parts_3}&n=${parts_n}"),
             http("fn-urlencode", "/echo?u=${__urlencode(a b&c=d/e)}&d=${__urldecode(a%2Bb)}"),
             http("fn-setprop",
                  "/echo?set=${__setProperty(myp${__threadNum},v${__threadNum},)}"
                  "&get=${__P(myp${__threadNum},none)}"),
             http("fn-plan", "/echo?plan=${__TestPlanName}"),
         ]),
         thread_group("fn-global", 1, 3, [
             http("fn-global-counter", "/echo?g=${__counter(FALSE,)}"),
         ])])


def more_functions():
    """JMeter 2.13's other deterministic functions (issue 10); results go through __urlencode.

    No file functions: JMeter 2.13 reads __CSVRead's and __StringFromFile's relative names
    from the working folder (5.x: the plan's folder), and its __FileToString throws
    JMeterStopThreadException for a missing file (5.x: **ERR**).
    """
    def enc(call):
        return "${__urlencode(" + call + ")}"
    return plan(
        "more_functions",
        "Text, file and context functions in sampler paths; the URL shows each value.",
        [udv("fn-vars", [("name1", "alpha"), ("ref", "name1")]),
         thread_group("text", 1, 1, [
             http("fn-escapehtml", "/echo?h=" + enc("${__escapeHtml(<a href=\"x\">\\, &é'©)}")),
             http("fn-unescapehtml", "/echo?u=" + enc("${__unescapeHtml(&lt;b&gt;&eacute;&#65;&#x42;&amp &apos;)}")),
             http("fn-unescape", "/echo?j=" + enc("${__unescape(a\\tb\\u0041\\101)}")),
             http("fn-escapeoro", "/echo?o=" + enc("${__escapeOroRegexpChars([a-z].+?_1,oro)}")),
             http("fn-escapeoro-var", "/echo?v=" + enc("${oro}")),
             http("fn-eval", "/echo?e=${__eval(${__char(36)}{${ref}})}"),
             http("fn-log", "/echo?l=${__log(logged)}&n=[${__logn(not returned)}]"),
             http("fn-samplername", "/echo?s=${__samplerName(sn)}"),
             http("fn-samplername-var", "/echo?v=${sn}"),
             http("fn-randomstring", "/echo?r=${__RandomString(3,a)}"),
         ])])


def script_functions():
    return plan(
        "script_functions",
        "__javaScript (Rhino in 2.13) and __jexl2 expressions as plans use them: arithmetic, "
        "string operations, comparisons, the conditional operator.",
        [udv("vars", [("name", "Ann"), ("n", "4")]),
         thread_group("script", 2, 1, [
             http("js-arith", "/echo?v=" + js("1+2*3")),
             http("js-vars", "/echo?v=" + js("${n} * ${__threadNum} + 1")),
             http("js-concat", "/echo?v=" + js("'${name}' + '-' + ${__threadNum}")),
             http("js-compare", "/echo?v=" + js("${n} > 3")),
             http("js-ternary", "/echo?v=" + js("${__threadNum} == 2 ? 'two' : 'other'")),
             http("js-string-fn", "/echo?v=" + js("'${name}'.toLowerCase()")),
             http("js-store", "/echo?v=" + js("6/${n},half")),
             http("js-stored", "/echo?half=${half}"),
             http("js-modulo", "/echo?v=" + js("7 % 3")),
             if_ctl("if-modulo", "${n} % 2 == 0", [http("if-modulo-s", "/echo?n=even")]),
             if_ctl("if-and", "${n} > 1 && '${name}' == 'Ann'", [http("if-and-s", "/echo?n=and")]),
             http("jexl2-arith", "/echo?v=${__jexl2(2*4)}"),
             http("jexl2-vars", "/echo?v=${__jexl2(${n} + 1)}"),
         ])])


def script_functions_full():
    return plan(
        "script_functions_full",
        "__javaScript, __BeanShell and __jexl2 with whole scripts (run by the script host): several "
        "statements, vars, the store-in-variable argument, a BeanShell interpreter's own "
        "variables between calls, scripts that fail; a JavaScript If condition beyond one line.",
        [udv("vars", [("name", "Ann"), ("n", "4"), ("jsout", "unset"), ("jserr", "unset"),
                      ("bshout", "unset"), ("bsherr", "unset"),
                      ("fromUdv", "${__BeanShell(\"u\" + (1 + 1))}")]),
         # Users 2 s apart (ramp-up 4 s): the first is done before the second starts, so the
         # count the shared BeanShell interpreter keeps is deterministic.
         thread_group("scripts", 2, 2, ramp=4, children=[
             http("bsh-udv", "/echo?v=${fromUdv}"),
             http("js-multi", "/echo?v=" + js("var a = ${n} * 2; var b = vars.get('name') + a; b.toLowerCase(),jsout")),
             http("js-stored", "/echo?v=${jsout}"),
             http("js-vars-put", "/echo?v=" + js("vars.put('fromjs'\\, 'p' + (${__threadNum} + 1)); 'ok'")),
             http("js-vars-read", "/echo?v=${fromjs}"),
             http("js-statement", "/echo?v=" + js("var u = 1;")),
             http("js-null", "/echo?v=" + js("vars.get('unset_var')")),
             http("js-error", "/echo?v=e" + js("nosuch.call(),jserr") + "e"),
             http("js-error-var", "/echo?v=${jserr}"),
             http("bsh-multi", "/echo?v=${__BeanShell(int k = ${n} + 1; String s = \"b\" + k; s,bshout)}"),
             http("bsh-stored", "/echo?v=${bshout}"),
             http("bsh-count", "/echo?v=${__BeanShell(if (cnt == void) cnt = 0; cnt++; \"c\" + cnt)}"),
             http("bsh-other-call", "/echo?v=${__BeanShell(cnt == void ? \"none\" : \"seen\" + cnt)}"),
             http("bsh-vars", "/echo?v=${__BeanShell(vars.put(\"fromBsh\"\\, \"t\" + ctx.getThreadNum()); vars.get(\"fromBsh\"))}"),
             http("bsh-error", "/echo?v=e${__BeanShell(undefinedMethod();,bsherr)}e"),
             http("bsh-error-var", "/echo?v=${bsherr}"),
             # One statement: JMeter 2.13's __jexl2 evaluates only the first of several (5.x all).
             http("jexl2-host", "/echo?v=${__jexl2(size(vars.get('name')) * 10 + ctx.getThreadNum(),j2out)}"),
             http("jexl2-stored", "/echo?v=${j2out}"),
             http("jexl2-numeric-string", "/echo?v=${__jexl2('5' + 2)}"),
             if_ctl("if-js-script", "var t = ${__threadNum}; t == 2", [http("if-js-script-s", "/echo?n=two")]),
         ])])


def simple_loop_if_while():
    return plan(
        "simple_loop_if_while",
        "Simple, Loop, If (JavaScript conditions and useExpression) and While (counter, LAST) "
        "controllers.",
        [udv("vars", [("x", "a"), ("flag_t", "true"), ("flag_f", "false")]),
         thread_group("ctl", 2, 2, [
             simple("simple", [http("s1", "/echo?n=s1")]),
             loop("loop3", "3", [http("l3", "/echo?l=${__counter(TRUE,)}")]),
             loop("loop0", "0", [http("l0-never", "/echo?n=never")]),
             if_ctl("if-js-true", '"${x}" == "a"', [http("if-js-true-s", "/echo?n=if1")]),
             if_ctl("if-js-false", '"${x}" == "b"', [http("if-js-false-s", "/echo?n=if2")]),
             if_ctl("if-expr-true", "${flag_t}", [http("if-expr-true-s", "/echo?n=if3")],
                    use_expression=True),
             if_ctl("if-expr-false", "${flag_f}", [http("if-expr-false-s", "/echo?n=if4")],
                    use_expression=True),
             if_ctl("if-expr-fn", js("${__threadNum} == 2"),
                    [http("if-thread2-only", "/echo?n=if5")], use_expression=True),
             http("notfound", "/status/404"),
             if_ctl("if-last-failed", '"${JMeterThread.last_sample_ok}" == "false"',
                    [http("after-failure", "/echo?n=after")]),
             http("stop-reset", "/echo?stop=no", children=[
                 regex_extractor("stop", "stop", '"stop":"(\\w+)"', default="none")]),
             if_ctl("if-evaluate-all", '"${stop}" != "yes"', [
                 http("ea-1", "/echo?stop=yes", children=[
                     regex_extractor("stop", "stop", '"stop":"(\\w+)"', default="none")]),
                 http("ea-2-skipped", "/echo?n=ea2"),
             ], evaluate_all=True),
             http("while-reset", "/echo?i=${__intSum(0,0,i)}"),
             while_ctl("while-counter", js("${i} < 3"), [
                 http("while-step", "/echo?i=${__intSum(${i},1,i)}"),
             ]),
             http("while-last-reset", "/echo?k=${__intSum(0,0,k)}"),
             while_ctl("while-last", "LAST", [
                 http("wl-step", "/echo?k=${__intSum(${k},1,k)}"),
                 if_ctl("k-is-2", "${k} == 2", [http("wl-fail", "/status/500")]),
             ]),
             http("after-while", "/echo?n=end"),
         ], ramp=0)])


def more_controllers():
    return plan(
        "more_controllers",
        "Once Only, ForEach, Throughput (percent and total, per thread and shared), Random "
        "(identical children) and Interleave controllers.",
        [udv("inputs", [("in_1", "red"), ("in_2", "green"), ("in_3", "blue"),
                        ("col1", "x"), ("col2", "y")]),
         thread_group("more", 2, 3, [
             once_only("once", [http("once-a", "/echo?n=once")]),
             loop("loop2", "2", [once_only("once-in-loop", [http("once-b", "/echo?n=onceb")]),
                                 http("in-loop", "/echo?n=inloop")]),
             foreach("each", "in", "c", [http("fe", "/echo?c=${c}")]),
             foreach("each-nosep", "col", "c", [http("fe-nosep", "/echo?c=${c}")],
                     use_separator=False),
             foreach("each-range", "in", "c", [http("fe-range", "/echo?c=${c}")],
                     start="1", end="2"),
             foreach("each-none", "missing", "c", [http("fe-none", "/echo?c=${c}")]),
             throughput("tp-50pct", [http("tp-pct", "/echo?n=pct")], True, 50, True),
             throughput("tp-total2", [http("tp-total", "/echo?n=total")], False, 2, True),
             random_ctl("rnd", [http("rnd-pick", "/hello.txt"), http("rnd-pick", "/hello.txt"),
                                http("rnd-pick", "/hello.txt")]),
             interleave("ilv", [http("i1", "/echo?n=i1"), http("i2", "/echo?n=i2"),
                                simple("i-sub", [http("i3a", "/echo?n=i3a"),
                                                 http("i3b", "/echo?n=i3b")])]),
             interleave("ilv-ignore", [http("j1", "/echo?n=j1"),
                                       simple("j-sub", [http("j2a", "/echo?n=j2a"),
                                                        http("j2b", "/echo?n=j2b")])],
                        ignore_sub_controllers=True),
         ]),
         # Shared (not per thread) Throughput Controllers; one thread, so that the order is
         # fixed.
         thread_group("shared", 1, 4, [
             throughput("tp-shared", [http("tp-shared-s", "/echo?n=shared")], False, 2, False),
             throughput("tp-shared-pct", [http("tp-shared-pct-s", "/echo?n=sharedpct")], True,
                        50, False),
         ])])


def transactions():
    return plan(
        "transactions",
        "Transaction Controllers: plain, failing child, parent sample, timers included, nested, "
        "empty.",
        [thread_group("tx", 2, 2, [
            transaction("tc-plain", [http("t1", "/hello.txt"), http("t2", "/echo?x=1")]),
            transaction("tc-fail", [http("t3", "/status/500"), http("t4", "/hello.txt")]),
            transaction("tc-parent", [http("p1", "/hello.txt"), http("p2", "/status/404")],
                        parent=True),
            transaction("tc-parent-ok", [http("p3", "/hello.txt"), http("p4", "/echo?p=4")],
                        parent=True),
            transaction("tc-timer", [constant_timer("10 ms", "10"), http("tt1", "/hello.txt")],
                        include_timers=True),
            transaction("tc-outer", [http("o1", "/echo?o=1"),
                                     transaction("tc-inner", [http("n1", "/echo?n=1")])]),
            transaction("tc-empty", [if_ctl("never", "false", [http("e1", "/hello.txt")])]),
            transaction("tc-assert", [http("t5", "/hello.txt", children=[
                response_assertion("contains NOPE", BODY, CONTAINS, ["NOPE"])])]),
        ])])


def transaction_errors():
    return plan(
        "transaction_errors",
        "Transaction Controllers (parent and not) cut short by 'Start Next Thread Loop' and by "
        "a Flow Control Action.",
        [thread_group("tx-nextloop", 1, 2, [
            transaction("tc-cut", [http("c1", "/hello.txt"), http("c2", "/status/500"),
                                   http("c3-skipped", "/hello.txt")]),
            http("after-tc-cut", "/hello.txt"),
        ], on_error="startnextloop"),
         thread_group("tx-parent-nextloop", 1, 2, [
             transaction("tcp-cut", [http("d1", "/hello.txt"), http("d2", "/status/500"),
                                     http("d3-skipped", "/hello.txt")], parent=True),
             http("after-tcp-cut", "/hello.txt"),
         ], on_error="startnextloop"),
         thread_group("tx-action", 1, 2, [
             transaction("tc-action", [http("e1", "/hello.txt"),
                                       test_action("next loop", ACTION_NEXT_LOOP),
                                       http("e2-skipped", "/hello.txt")]),
             http("after-tc-action", "/hello.txt"),
         ])])


def transaction_time():
    timed = lambda n: [http(n + "-a", "/hello.txt", children=[constant_timer("200 ms", "200")]),
                       http(n + "-b", "/echo?n=" + n, children=[constant_timer("200 ms", "200")])]
    return plan(
        "transaction_time",
        "What a Transaction Controller's sample spans: two samplers under 200 ms Constant Timers; "
        "a 300 ms Duration Assertion in the thread group checks every sampler and (parent mode "
        "only) the transaction's own sample. Timers count unless includeTimers is false; a plan "
        "without the property includes them (JMeter's default). A setUp group warms JMeter's "
        "HTTP classes up first.",
        [setup_group("warm-up", 1, 2, [http("warm-up", "/hello.txt")]),
         thread_group("tx-time", 1, 1, [
            duration_assertion("at most 300 ms", "300"),
            transaction("tcp-default", timed("pd"), parent=True, include_timers=None),
            transaction("tcp-timers", timed("pt"), parent=True, include_timers=True),
            transaction("tcp-no-timers", timed("pn"), parent=True, include_timers=False),
            transaction("tc-default", timed("nd"), parent=False, include_timers=None),
        ])])


def cookie_scope():
    login = lambda n: [http(n + "-set", "/cookies/set?session=" + n), http(n + "-home", "/home")]
    return plan(
        "cookie_scope",
        "An HTTP Cookie Manager applies only to the samplers in its scope: the setUp group and "
        "the second group have none, so they neither keep nor send the session cookie (/home "
        "answers 401); the group with one gets 200.",
        [setup_group("setup-no-manager", 1, 1, login("su")),
         thread_group("with-manager", 1, 1, [cookie_manager("cookies", False)] + login("wm")),
         thread_group("no-manager", 1, 1, login("nm"))])


def cookie_variables():
    # cookie_variables.args sets -JCookieManager.save.cookies=true.
    return plan(
        "cookie_variables",
        "CookieManager.save.cookies=true (cookie_variables.args): each cookie a response stores "
        "becomes variable COOKIE_<name>; deleting the cookie (Max-Age=0) or setting it empty "
        "leaves the variable as it was; the next iteration (cookies cleared) keeps them too.",
        [thread_group("save", 1, 2, [
            cookie_manager("cookies", True),
            http("seen-first", "/echo?s=${__V(COOKIE_sess)}&o=${__V(COOKIE_other)}"),
            http("set", "/cookies/set?sess=abc${__counter(TRUE,)}&other=x"),
            http("seen", "/echo?s=${COOKIE_sess}&o=${COOKIE_other}"),
            http("delete", "/cookies/delete?sess"),
            http("after-delete", "/echo?s=${COOKIE_sess}"),
            http("empty", "/cookies/set?other=&sess=new"),
            http("after-empty", "/echo?s=${COOKIE_sess}&o=${COOKIE_other}"),
        ])])


def switch_and_sections():
    three = lambda p: [http(p + "-0", "/echo?n=" + p + "0"), http(p + "-1", "/echo?n=" + p + "1"),
                       simple(p + "-2", [http(p + "-2a", "/echo?n=" + p + "2a"),
                                         http(p + "-2b", "/echo?n=" + p + "2b")])]
    return plan(
        "switch_and_sections",
        "Switch Controllers (index, ${__threadNum}, out of range, empty, negative, child name, a "
        "child named default, no match), a Random Order Controller (each child once per pass), "
        "Critical Section Controllers (shared lock, empty name) and Result Status Action Handlers "
        "(start next thread loop, stop thread, continue).",
        [thread_group("switch", 2, 2, [
            switch("sw-index", "1", three("si")),
            switch("sw-thread", "${__threadNum}", three("st")),
            switch("sw-out-of-range", "7", three("so")),
            switch("sw-empty", "", three("se")),
            switch("sw-negative", "-1", three("sn")),
            switch("sw-name", "second", [http("first", "/echo?n=first"), http("second", "/echo?n=second"),
                                         http("third", "/echo?n=third")]),
            switch("sw-default", "nope", [http("d-x1", "/echo?n=x1"), http("Default", "/echo?n=default"),
                                          http("d-x3", "/echo?n=x3")]),
            switch("sw-none", "nope", [http("n-y1", "/echo?n=y1"), http("n-y2", "/echo?n=y2")]),
            http("sw-after", "/hello.txt"),
        ]),
         thread_group("random-order", 1, 2, [
             random_order("ro", [http("ro", "/echo?n=ro"), http("ro", "/echo?n=ro"),
                                 http("ro", "/echo?n=ro")]),
             random_order("ro-block", [simple("ro-block-1", [http("rb-1", "/echo?n=rb1"),
                                                             http("rb-2", "/echo?n=rb2")])]),
             http("ro-after", "/hello.txt"),
         ]),
         thread_group("critical", 2, 2, [
             critical_section("cs", "shared-lock", [http("cs-1", "/echo?n=cs1"), http("cs-2", "/echo?n=cs2")]),
             critical_section("cs-no-name", "", [http("cs-free", "/echo?n=free")]),
         ]),
         thread_group("ra-next-loop", 1, 2, [
             simple("ra-block", [result_action("next loop", ON_ERROR_NEXT_THREAD_LOOP),
                                 http("ra-fail", "/status/500"), http("ra-skipped", "/hello.txt")]),
             http("ra-after", "/hello.txt"),
         ]),
         thread_group("ra-stop-thread", 2, 2, [
             http("rs-ok", "/hello.txt"),
             http("rs-fail", "/status/503", children=[result_action("stop thread", ON_ERROR_STOP_THREAD)]),
             http("rs-never", "/hello.txt"),
         ]),
         thread_group("ra-continue", 1, 2, [
             http("rc-fail", "/status/404", children=[result_action("continue", ON_ERROR_CONTINUE)]),
             http("rc-after", "/hello.txt"),
         ])])


def include_controller():
    return plan(
        "include_controller",
        "Include Controllers: a file whose Test Plan holds a Test Fragment (its children are "
        "included, with their own Simple Controller and timer), a file without a Test Fragment "
        "(nothing is included) and an empty path. The files sit beside the plan (JMeter falls "
        "back to the plan's folder).",
        [thread_group("inc", 2, 2, [
            http("before", "/echo?n=before"),
            include("include-fragment", "include_fragment.jmx"),
            include("include-no-fragment", "include_no_fragment.jmx"),
            include("include-empty", ""),
            http("after", "/echo?n=after"),
        ])])


# Files Include Controllers read (not plans of their own: not run by CTest).
INCLUDED_FILES = {
    "include_fragment": lambda: test_plan("included", "A Test Fragment to include.", [
        fragment("frag", [http("inc-1", "/echo?n=inc1&t=${__threadNum}"),
                          simple("inc-block", [http("inc-2", "/echo?n=inc2")])]),
        thread_group("not-included", 1, 1, [http("never", "/hello.txt")])]),
    "include_no_fragment": lambda: test_plan("no-fragment", "No Test Fragment: nothing is included.", [
        simple("not-a-fragment", [http("never-2", "/hello.txt")])]),
}


def module_controller():
    return plan(
        "module_controller",
        "Module Controllers to a Test Fragment (saved disabled, as the GUI creates it) and to a "
        "Simple Controller of the same thread group.",
        [fragment("frag", [http("frag-1", "/echo?n=frag1"), http("frag-2", "/echo?n=frag2")]),
         thread_group("mod", 2, 2, [
             module("to-fragment", ["Test Plan", "module_controller", "frag"]),
             simple("local-block", [http("lb-1", "/echo?n=lb")]),
             module("to-local", ["Test Plan", "module_controller", "mod", "local-block"]),
         ])])


def runtime_controller():
    return plan(
        "runtime_controller",
        "Runtime Controllers: 2 s around a 1.1 s request, and 0 s.",
        [thread_group("rt", 1, 1, [
             # A first request warms JMeter's HTTP classes up: class loading after the Runtime
             # Controller's clock starts could otherwise take most of its time. Then
             # /delay/1100 twice: after one sample 1.1 s < 2 s, after two 2.2 s >= 2 s.
             http("rt-warmup", "/hello.txt"),
             runtime("runtime-2s", "2", [http("rt-delay", "/delay/1100")]),
             runtime("runtime-0s", "0", [http("rt-never", "/hello.txt")]),
             http("rt-after", "/hello.txt"),
         ])])


def sample_errors():
    fail_for_thread2 = "/status/${code}"
    codes = user_parameters("code per thread", ["code"], [["200"], ["500"]])
    return plan(
        "sample_errors",
        "Thread group actions after a sampler error: continue, start next loop (also from "
        "inside a Loop Controller), stop thread.",
        [thread_group("err-continue", 1, 2, [
            http("c-ok", "/hello.txt"), http("c-fail", "/status/500"),
            http("c-after", "/hello.txt"),
        ], on_error="continue"),
         thread_group("err-nextloop", 2, 2, [
             codes,
             http("n-ok", "/hello.txt"), http("n-fail", fail_for_thread2),
             http("n-after", "/hello.txt"),
             loop("inner", "2", [http("n-inner", "/echo?n=inner"),
                                 http("n-inner-fail", "/status/503")]),
             http("n-end", "/hello.txt"),
         ], on_error="startnextloop"),
         thread_group("err-stopthread", 2, 3, [
             codes,
             http("st-ok", "/hello.txt"), http("st-fail", fail_for_thread2),
             http("st-after", "/hello.txt"),
         ], on_error="stopthread"),
         thread_group("err-assertion", 1, 2, [
             http("as-ok", "/hello.txt"),
             http("as-fail", "/hello.txt", children=[
                 response_assertion("contains NOPE", BODY, CONTAINS, ["NOPE"])]),
             http("as-after", "/hello.txt"),
         ], on_error="startnextloop")])


def stop_test():
    return plan(
        "stop_test",
        "A failed sample with 'Stop Test' ends the test; tearDown groups still run "
        "(tearDown_on_shutdown).",
        [setup_group("before", 1, 1, [http("setup-ok", "/hello.txt")]),
         thread_group("stopper", 1, 3, [
             http("s-ok", "/hello.txt"), http("s-fail", "/status/500"),
             http("s-after", "/hello.txt"),
         ], on_error="stoptest"),
         teardown_group("after", 1, 1, [http("teardown-ok", "/hello.txt")])],
        teardown_on_shutdown=True)


def flow_control():
    return plan(
        "flow_control",
        "Flow Control Action (2.13: Test Action): pause, go to next thread loop, stop thread.",
        [thread_group("fc", 2, 3, [
             counter("iteration", "iter", "1", "", per_user=True),
             http("fc-1", "/echo?it=${iter}"),
             test_action("pause 20 ms", ACTION_PAUSE, "20"),
             if_ctl("thread 2, iteration 2", "${__threadNum} == 2 && ${iter} == 2",
                    [test_action("stop thread", ACTION_STOP)]),
             http("fc-2", "/echo?it=${iter}"),
             loop("inner", "3", [
                 http("fc-loop", "/echo?it=${iter}"),
                 if_ctl("iteration 1 or 3", "${iter} != 2",
                        [test_action("next thread loop", ACTION_NEXT_LOOP)]),
                 http("fc-loop-even", "/echo?it=${iter}"),
             ]),
             http("fc-end", "/echo?it=${iter}"),
         ])])


def http_config():
    return plan(
        "http_config",
        "HTTP Request Defaults, nested Header Managers (inner wins), Cookie Managers (clear "
        "each iteration or keep), a login redirect flow.",
        [header_manager("outer headers", [("X-Outer", "o"), ("X-Both", "outer")]),
         thread_group("cookies-clear", 2, 2, [
             cookie_manager("cookies (cleared)", True),
             http("ck-before", "/cookies", children=[
                 regex_extractor("seen a", "seen", '"a":"(\\w+)"', default="none")]),
             http("ck-seen", "/echo?seen=${seen}"),
             http("ck-set", "/cookies/set?a=t${__threadNum}i${__counter(TRUE,)}"),
             http("ck-get", "/cookies", children=[
                 regex_extractor("got a", "got", '"a":"(\\w+)"', default="none")]),
             http("ck-got", "/echo?got=${got}"),
         ]),
         thread_group("cookies-keep", 2, 2, [
             cookie_manager("cookies (kept)", False),
             http("kk-before", "/cookies", children=[
                 regex_extractor("seen a", "seen", '"a":"(\\w+)"', default="none")]),
             http("kk-seen", "/echo?seen=${seen}"),
             http("kk-set", "/cookies/set?a=t${__threadNum}i${__counter(TRUE,)}"),
         ]),
         thread_group("headers", 1, 1, [
             http("hdr", "/echo", children=[
                 header_manager("inner headers", [("X-Both", "inner"), ("X-Inner", "i")]),
                 regex_extractor("x-both", "both", '"x-both":"([^"]*)"', default="none"),
                 regex_extractor("x-outer", "outer", '"x-outer":"([^"]*)"', default="none"),
                 regex_extractor("x-inner", "inner", '"x-inner":"([^"]*)"', default="none"),
             ]),
             http("hdr-seen", "/echo?both=${__urlencode(${both})}&outer=${outer}&inner=${inner}"),
             http("hdr-outer-only", "/echo", children=[
                 regex_extractor("x-both", "both2", '"x-both":"([^"]*)"', default="none")]),
             http("hdr-outer-seen", "/echo?both=${both2}"),
         ]),
         thread_group("defaults", 1, 1, [
             http_defaults(domain="", port="", path="/echo", params=[("from", "defaults")],
                           name="inner defaults (path, parameter)"),
             http("path-from-defaults", ""),
             http("own-path", "/echo?own=1"),
             http("own-param", "/echo", params=[("from", "sampler")]),
             http("post-with-defaults", "/echo", method="POST", params=[("p", "1")]),
         ]),
         thread_group("login", 2, 1, [
             cookie_manager("session cookies", True),
             http("home-anonymous", "/home"),
             http("login", "/login", method="POST", params=[("user", "u${__threadNum}")],
                  children=[response_assertion("welcome", BODY, CONTAINS,
                                               ["Welcome, u${__threadNum}"])]),
             http("home", "/home", children=[
                 response_assertion("welcome", BODY, CONTAINS, ["Welcome, u${__threadNum}"])]),
         ])])


def http_managers():
    base = "http://127.0.0.1:${__P(port,8080)}"
    return plan(
        "http_managers",
        "HTTP Authorization Manager (first matching URL prefix; Basic and Digest challenges), "
        "HTTP Cache Manager (conditional requests and 304s, clear each iteration, fresh "
        "entries with use Expires are not requested and record no sample), HTTP URL Re-writing "
        "Modifier (parameter, kept value, path extension).",
        [thread_group("auth", 1, 1, [
            auth_manager("auth", [(base + "/basic-auth/bob", "bob", "x"), ("", "ann", "pw")]),
            http("basic-ann", "/basic-auth/ann/pw"),
            http("basic-bob", "/basic-auth/bob/x"),
            http("basic-wrong", "/basic-auth/bob/y"),
            http("digest-ann", "/digest-auth/ann/pw"),
            http("digest-wrong", "/digest-auth/ann/nope"),
        ]),
         thread_group("cache-keep", 1, 2, [
             cache_manager("cache (kept)", False, False),
             http("keep-1", "/cache"),
             http("keep-2", "/cache"),
         ]),
         thread_group("cache-clear", 1, 2, [
             cache_manager("cache (cleared)", True, False),
             http("clear-1", "/cache"),
             http("clear-2", "/cache"),
         ]),
         thread_group("cache-expires", 1, 2, [
             cache_manager("cache (expires)", True, True),
             http("fresh-1", "/cache/600"),
             http("fresh-2", "/cache/600"),
             http("after", "/hello.txt"),
         ]),
         thread_group("url-rewriting", 1, 2, [
             url_rewriting("session id parameter", "sid"),
             http("page", "/status/200?body=%3Ca%20href%3D%22%2Fnext%3Fsid%3DAB12%22%3E"),
             http("with-id", "/echo"),
             http("kept-id", "/echo?x=1"),
             http("path-page", "/status/200?body=%3Ca%20href%3D%22%2Fp%3Bjsid%3DPX9%3Fq%3D1%22%3E"),
             http("path-id", "/echo/p", children=[
                 url_rewriting("path extension", "jsid", path_extension=True, no_questionmark=True)]),
         ])])


def csv_data():
    return plan(
        "csv_data",
        "CSV Data Set Config: header line, other delimiters, quoted data, recycle on/off, stop "
        "thread on EOF, share modes, inside a Loop Controller.",
        [thread_group("csv-thread", 2, 3, [
            csv_data_set("users (header line, per thread)", "users.csv",
                         share_mode="shareMode.thread"),
            http("users", "/echo?user=${user}&role=${role}&t=${__threadNum}"),
        ]),
         # The setUp group runs first and reads two lines; the file is shared with csv-all.
         setup_group("csv-setup", 1, 2, [
             csv_data_set("users (all threads)", "users.csv", share_mode="shareMode.all"),
             http("users-setup", "/echo?user=${user}"),
         ]),
         thread_group("csv-all", 1, 3, [
             csv_data_set("users (all threads)", "users.csv", share_mode="shareMode.all"),
             http("users-all", "/echo?user=${user}"),
         ]),
         thread_group("csv-formats", 1, 2, [
             csv_data_set("semicolons", "semicolon.csv", variable_names="k1,k2", delimiter=";",
                          share_mode="shareMode.group"),
             csv_data_set("tabs", "tab.csv", variable_names="t1,t2", delimiter="\\t",
                          share_mode="shareMode.group"),
             csv_data_set("quoted", "quoted.csv", variable_names="q1,q2", quoted=True,
                          share_mode="shareMode.group"),
             http("formats", "/echo?k1=${k1}&k2=${k2}&t1=${t1}&t2=${t2}"
                             "&q1=${__urlencode(${q1})}&q2=${__urlencode(${q2})}"),
         ]),
         thread_group("csv-eof", 1, 4, [
             csv_data_set("short, no recycle", "short.csv", variable_names="v",
                          recycle=False, share_mode="shareMode.group"),
             http("eof", "/echo?v=${__urlencode(${v})}"),
         ]),
         thread_group("csv-recycle", 1, 5, [
             csv_data_set("short, recycle", "short.csv", variable_names="v",
                          share_mode="shareMode.group"),
             http("recycle", "/echo?v=${v}"),
         ]),
         thread_group("csv-stop", 1, 4, [
             csv_data_set("short, stop thread", "short.csv", variable_names="v",
                          recycle=False, stop_thread=True, share_mode="shareMode.group"),
             http("stop", "/echo?v=${v}"),
         ]),
         thread_group("csv-loop", 1, 2, [
             loop("inner", "2", [
                 csv_data_set("short in loop", "short.csv", variable_names="v",
                              share_mode="shareMode.group"),
                 http("in-loop", "/echo?v=${v}"),
             ]),
         ])])


def extractors():
    return plan(
        "extractors",
        "Regular Expression Extractors on body, headers, URL, code and message; match numbers, "
        "templates, defaults; values fed into later requests.",
        [thread_group("ext", 2, 2, [
            http("src", "/data.json", children=[
                regex_extractor("name", "name", '"name": "(\\w+)"'),
                regex_extractor("second sku", "sku2", '"sku": "(\\w+)"', match_number="2"),
                regex_extractor("all skus", "sku", '"sku": "(\\w+)"', match_number="-1"),
                regex_extractor("template", "tmpl", '"(id)": (\\d+)', template="$2$-$1$"),
                regex_extractor("no match", "nf", "NOPE(\\d+)", default="NOTFOUND"),
                regex_extractor("content type", "ct", "Content-Type: ([\\w/]+)",
                                use_headers="true"),
                regex_extractor("url", "u", "/(\\w+)\\.json", use_headers="URL"),
                regex_extractor("code", "c", "(\\d)\\d\\d", use_headers="code"),
                regex_extractor("message", "m", "(\\w+)", use_headers="message"),
            ]),
            http("use", "/echo?name=${name}&sku2=${sku2}&s1=${sku_1}&s3=${sku_3}"
                        "&n=${sku_matchNr}&t=${tmpl}&d=${nf}&ct=${__urlencode(${ct})}"
                        "&u=${u}&c=${c}&m=${m}"),
            simple("scoped", [
                regex_extractor("echoed n", "echoed", '"n":"(\\w+)"', default="none"),
                http("sc-1", "/echo?n=first"),
                http("sc-2", "/echo?prev=${echoed}&n=second"),
                http("sc-3", "/echo?prev=${echoed}"),
            ]),
            foreach("each sku", "sku", "one_sku", [http("per-sku", "/echo?sku=${one_sku}")]),
            http("item", "/item?id=${__intSum(${__threadNum},40)}", children=[
                regex_extractor("price", "price", '"price":([\\d.]+)')]),
            http("use-price", "/echo?price=${price}"),
        ])])


def assertions():
    return plan(
        "assertions",
        "Response Assertions (every 2.13 test type with NOT; body, code, message, headers, URL; "
        "ignore status), Duration and Size Assertions, passing and failing.",
        [thread_group("asrt", 1, 1, [
            http("contains-ok", "/hello.txt", children=[
                response_assertion("a", BODY, CONTAINS, ["perf-anchor"])]),
            http("contains-fail", "/hello.txt", children=[
                response_assertion("a", BODY, CONTAINS, ["perf-.*x"])]),
            http("match-ok", "/hello.txt", children=[
                response_assertion("a", BODY, MATCH, ["(?s)Hello from.*-\\n"])]),
            http("match-fail", "/hello.txt", children=[
                response_assertion("a", BODY, MATCH, ["perf-anchor"])]),
            http("equals-ok", "/status/200?body=exact", children=[
                response_assertion("a", BODY, EQUALS, ["exact"])]),
            http("equals-fail", "/status/200?body=exact", children=[
                response_assertion("a", BODY, EQUALS, ["exacT"])]),
            http("substring-ok", "/hello.txt", children=[
                response_assertion("a", BODY, SUBSTRING, ["server."])]),
            http("substring-fail", "/hello.txt", children=[
                response_assertion("a", BODY, SUBSTRING, ["perf.anchor"])]),
            http("not-contains-ok", "/hello.txt", children=[
                response_assertion("a", BODY, NOT | CONTAINS, ["NOPE"])]),
            http("not-contains-fail", "/hello.txt", children=[
                response_assertion("a", BODY, NOT | CONTAINS, ["perf"])]),
            http("not-equals-fail", "/status/200?body=exact", children=[
                response_assertion("a", BODY, NOT | EQUALS, ["exact"])]),
            http("not-substring-ok", "/hello.txt", children=[
                response_assertion("a", BODY, NOT | SUBSTRING, ["NOPE"])]),
            http("not-match-ok", "/hello.txt", children=[
                response_assertion("a", BODY, NOT | MATCH, ["perf"])]),
            http("two-patterns-fail", "/hello.txt", children=[
                response_assertion("a", BODY, CONTAINS, ["perf", "NOPE", "Hello"])]),
            http("code-404-expected", "/status/404", children=[
                response_assertion("a", CODE, EQUALS, ["404"], assume_success=True)]),
            http("code-404-unexpected", "/status/404", children=[
                response_assertion("a", CODE, EQUALS, ["200"], assume_success=True)]),
            http("code-404-no-ignore", "/status/404", children=[
                response_assertion("a", CODE, EQUALS, ["404"])]),
            http("message-ok", "/status/500", children=[
                response_assertion("a", MESSAGE, CONTAINS, ["Internal Server Error"],
                                   assume_success=True)]),
            http("message-fail", "/hello.txt", children=[
                response_assertion("a", MESSAGE, EQUALS, ["Fine"])]),
            http("headers-ok", "/hello.txt", children=[
                response_assertion("a", HEADERS, CONTAINS, ["Content-Type: text/plain"])]),
            http("headers-fail", "/hello.txt", children=[
                response_assertion("a", HEADERS, CONTAINS, ["X-Nope"])]),
            http("url-ok", "/hello.txt", children=[
                response_assertion("a", URL, CONTAINS, ["/hello\\.txt"])]),
            http("url-not-fail", "/hello.txt", children=[
                response_assertion("a", URL, NOT | CONTAINS, ["hello"])]),
            http("first-failure-wins", "/hello.txt", children=[
                response_assertion("first", BODY, CONTAINS, ["NOPE1"]),
                response_assertion("second", BODY, CONTAINS, ["NOPE2"])]),
            http("duration-ok", "/hello.txt", children=[duration_assertion("a", "5000")]),
            http("duration-fail", "/delay/300", children=[duration_assertion("a", "100")]),
            http("size-body-eq-ok", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_data", "100", 1)]),
            http("size-body-ne-fail", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_data", "100", 2)]),
            http("size-body-gt-fail", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_data", "100", 3)]),
            http("size-body-lt-ok", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_data", "101", 4)]),
            http("size-body-ge-ok", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_data", "100", 5)]),
            http("size-body-le-fail", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_data", "99", 6)]),
            http("size-code-ok", "/status/404", children=[
                response_assertion("ignore", CODE, EQUALS, ["404"], assume_success=True),
                size_assertion("a", "SizeAssertion.response_code", "3", 1)]),
            http("size-message-fail", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_message", "5", 1)]),
            http("size-network-gt-ok", "/hello.txt", children=[
                size_assertion("a", "SizeAssertion.response_network_size", "100", 3)]),
            http("assertion-on-500", "/status/500", children=[
                response_assertion("a", BODY, CONTAINS, ["Internal"])]),
        ])])


def status_codes():
    return plan(
        "status_codes",
        "Status codes 2xx/3xx/4xx/5xx, redirects followed and not, a server that closes the "
        "connection, parameters.",
        [thread_group("codes", 2, 1, [
            http("ok", "/hello.txt"),
            http("no-content", "/status/204"),
            http("not-found", "/status/404"),
            http("server-error", "/status/500"),
            http("unavailable", "/status/503"),
            http("redirect-not-followed", "/redirect/2", follow=False),
            http("redirect-followed", "/redirect/3"),
            http("redirect-to-404", "/redirect-to?url=/status/404"),
            http("closing", "/close"),
            http("after-close", "/hello.txt"),
            http("post-echo", "/echo", method="POST", params=[("a", "1"), ("b", "two")]),
            http("get-params", "/echo", params=[("q", "x y", True), ("n", "${__threadNum}")]),
        ])])


def connection_errors():
    return plan(
        "connection_errors",
        "Requests without an HTTP response: connection refused (127.0.0.1:1), connection "
        "dropped by the server; the exception class is the response code.",
        [thread_group("conn", 2, 1, [
            http("before", "/hello.txt"),
            http("refused", "/hello.txt", domain="127.0.0.1", port="1"),
            http("dropped", "/drop"),
            http("after", "/hello.txt"),
        ])])


def variables():
    return plan(
        "variables",
        "User Defined Variables (plan and element, referring to earlier ones), Counters (per "
        "user with format, global wrapping), User Parameters (per thread, per iteration).",
        # A UDV element sees the Test Plan's variables and earlier elements' ones, not its own.
        [udv("udv element", [("a", "1"), ("same", "${a}"), ("tp2", "${tp}-x")]),
         counter("plan-level counter", "pc", "10", "", per_user=True),
         udv("later udv element", [("b", "${a}2")]),
         thread_group("vars", 3, 2, [
             counter("per-user counter", "cnt", "1", "2", fmt="00", per_user=True),
             user_parameters("user parameters", ["u", "r"],
                             [["alice", "admin"], ["bob", "user"]]),
             user_parameters("per iteration", ["it"], [["${__counter(TRUE,)}"]],
                             per_iteration=True),
             http("vars", "/echo?a=${a}&b=${b}&same=${__urlencode(${same})}&tp=${tp}&tp2=${tp2}&cnt=${cnt}&u=${u}&r=${r}"
                          "&it=${it}&pc=${pc}&t=${__threadNum}"),
         ]),
         thread_group("global", 1, 4, [
             counter("global counter", "g", "5", "7", incr="2"),
             http("global", "/echo?g=${g}&pc=${pc}"),
         ])],
        udv=[("tp", "plan")])


def https():
    return plan(
        "https",
        "HTTPS to the fixture's TLS side (same port, self-signed certificate, not verified): "
        "protocol on the sampler, in HTTP Request Defaults, in a full URL with a redirect; a "
        "closed TLS port.",
        [thread_group("tls", 1, 2, [
            http("tls-hello", "/hello.txt", protocol="https", children=[
                response_assertion("anchor", BODY, SUBSTRING, ["perf-anchor"])]),
            http("plain-hello", "/hello.txt"),
            http("tls-post", "/echo", method="POST", protocol="https", params=[("a", "b c", True)],
                 children=[response_assertion("form", BODY, SUBSTRING, ['"form":{"a":"b c"}'])]),
            http("tls-full-url", "https://127.0.0.1:${__P(port,8080)}/redirect/1"),
            http("tls-refused", "/", protocol="https", domain="127.0.0.1", port="1"),
        ]),
         thread_group("tls-defaults", 1, 1, [
             http_defaults(domain="", port="", protocol="https", name="https defaults"),
             http("via-defaults", "/hello.txt"),
             http("sampler-says-http", "/hello.txt", protocol="http"),
         ])])


def client_cert(name="cert"):
    """HTTPS /client-cert (the CN of the certificate this thread's connection presented) into
    ${cn}, then a plain request whose label and URL show it."""
    return [http(name, "/client-cert", protocol="https", children=[
                regex_extractor("cn", "cn", "(.+)", default="none")]),
            http("used-${cn}", "/echo?cn=${cn}&thread=${__threadNum}")]


def keystore():
    # The keystore (plans/keystore.p12: ann, bob, cat, dan) comes from keystore.args. Users
    # start 1 s apart (ramp-up) after a warm-up setUp group, so the round robin over the
    # aliases from startIndex to endIndex hands them out in thread order. /close ends each
    # iteration's connection: the next one resumes the thread's TLS session.
    return plan(
        "keystore",
        "Keystore Config (startIndex 1, endIndex 2) with -Djavax.net.ssl.keyStore: each "
        "thread's TLS handshake takes the next alias of the range (round robin, wrapping); "
        "the thread keeps it over its iterations (kept-alive connection, then a resumed "
        "session after the server closed the connection).",
        [keystore_config("Keystore Configuration", "1", "2"),
         setup_group("warm-up", 1, 1, client_cert("warm-up-cert")),
         thread_group("users", 3, 2, client_cert() + [
             http("cert-again", "/client-cert", protocol="https", children=[
                 response_assertion("same cn", BODY, EQUALS, ["${cn}"])]),
             http("close", "/close", protocol="https"),
         ], ramp=3)])


def keystore_alias():
    # clientCertAliasVarName: each thread names its alias in ${alias} (User Parameters); one
    # outside the start..end range and one empty.
    return plan(
        "keystore_alias",
        "Keystore Config with clientCertAliasVarName (range 1..3): each thread's alias from a "
        "variable; an alias outside the range and an empty variable fail the handshake.",
        [keystore_config("Keystore Configuration", "1", "3", alias_var="alias"),
         thread_group("by-name", 3, 2, [
             user_parameters("alias per thread", ["alias"], [["dan"], ["bob"], ["cat"]]),
         ] + client_cert(), ramp=3),
         thread_group("bad-name", 2, 1, [
             user_parameters("bad alias", ["alias"], [["ann"], [""]]),
         ] + client_cert(), ramp=2)])


def raw_echo(name, method="GET", params=(), content_encoding="", raw_body=None, expect=None,
             children=()):
    """A request to /raw-echo whose whole answer (method, target, Content-Type, body in hex)
    must equal `expect`; JMeter's failure message shows the difference otherwise."""
    kids = list(children)
    if expect is not None:
        kids.append(response_assertion("sent bytes", BODY, EQUALS, [expect]))
    return http(name, "/raw-echo", method=method, params=params,
                content_encoding=content_encoding, raw_body=raw_body, children=kids)


def echoed(line, content_type="", body_hex=""):
    return f"{line}\ncontent-type: {content_type}\nbody-hex: {body_hex}\n"


FORM = "application/x-www-form-urlencoded"


def request_charset():
    return plan(
        "request_charset",
        "HTTPSampler.contentEncoding: query, form and raw bodies per method, in UTF-8, "
        "ISO-8859-1 and windows-1252; JMeter 2.13's defaults when it is empty; Content-Type as "
        "sent; unknown charsets and bad escapes.",
        [thread_group("charset", 1, 1, [
            raw_echo("get-default", params=[("q", "café ✓", True)],
                     expect=echoed("GET /raw-echo?q=caf%C3%A9+%E2%9C%93")),
            raw_echo("get-latin1", params=[("q", "café ✓", True)], content_encoding="ISO-8859-1",
                     expect=echoed("GET /raw-echo?q=caf%E9+%3F")),
            raw_echo("get-name-in-utf8", params=[("ü", "é", True)], content_encoding="ISO-8859-1",
                     expect=echoed("GET /raw-echo?%C3%BC=%E9")),
            raw_echo("get-cp1252", params=[("q", "€", True)], content_encoding="windows-1252",
                     expect=echoed("GET /raw-echo?q=%80")),
            raw_echo("get-not-encoded", params=[("q", "a%41", False)], content_encoding="ISO-8859-1",
                     expect=echoed("GET /raw-echo?q=a%41")),
            raw_echo("get-unknown-charset", params=[("q", "x", True), ("r", "y", False)],
                     content_encoding="bogus", expect=echoed("GET /raw-echo?q=&r=y")),
            raw_echo("post-form-default", "POST", params=[("q", "café ✓", True)],
                     expect=echoed("POST /raw-echo", FORM, "q=caf%C3%A9+%E2%9C%93".encode().hex())),
            raw_echo("post-form-latin1", "POST", params=[("q", "café ✓", True)],
                     content_encoding="ISO-8859-1",
                     expect=echoed("POST /raw-echo", FORM, "q=caf%E9+%3F".encode().hex())),
            raw_echo("post-form-decoded", "POST", params=[("a b", "x+y%41 z", False)],
                     expect=echoed("POST /raw-echo", FORM, "a+b=x+yA+z".encode().hex())),
            raw_echo("post-form-decoded-latin1", "POST", params=[("q", "%E9", False)],
                     content_encoding="ISO-8859-1",
                     expect=echoed("POST /raw-echo", FORM, "q=%E9".encode().hex())),
            raw_echo("post-form-decoded-bad-utf8", "POST", params=[("q", "%E9", False)],
                     expect=echoed("POST /raw-echo", FORM, "q=%EF%BF%BD".encode().hex())),
            raw_echo("post-form-header-type", "POST", params=[("q", "é", True)],
                     content_encoding="ISO-8859-1",
                     children=[header_manager("type", [("Content-Type", FORM + "; charset=ISO-8859-1")])],
                     expect=echoed("POST /raw-echo", FORM + "; charset=ISO-8859-1", "q=%E9".encode().hex())),
            raw_echo("post-raw-default", "POST", raw_body="café ✓",
                     expect=echoed("POST /raw-echo", FORM, "636166e9203f")),
            raw_echo("post-raw-utf8", "POST", raw_body="café ✓", content_encoding="UTF-8",
                     expect=echoed("POST /raw-echo", FORM, "café ✓".encode().hex())),
            raw_echo("post-unnamed-values", "POST", params=[("", "a é", False)],
                     expect=echoed("POST /raw-echo", FORM, "6120e9")),
            raw_echo("post-none", "POST", expect=echoed("POST /raw-echo", FORM)),
            raw_echo("put-raw-default", "PUT", raw_body="café",
                     expect=echoed("PUT /raw-echo", "text/plain; charset=ISO-8859-1", "636166e9")),
            raw_echo("put-raw-utf8", "PUT", raw_body="café", content_encoding="utf-8",
                     expect=echoed("PUT /raw-echo", "text/plain; charset=UTF-8", "café".encode().hex())),
            raw_echo("put-named", "PUT", params=[("a", "1", True)], expect=echoed("PUT /raw-echo")),
            raw_echo("patch-raw-cp1252", "PATCH", raw_body="€", content_encoding="windows-1252",
                     expect=echoed("PATCH /raw-echo", "text/plain; charset=windows-1252", "80")),
            raw_echo("delete-none", "DELETE",
                     expect=echoed("DELETE /raw-echo", "text/plain; charset=ISO-8859-1")),
            raw_echo("delete-named", "DELETE", params=[("a", "é", True)],
                     expect=echoed("DELETE /raw-echo?a=%C3%A9")),
            raw_echo("options-param", "OPTIONS", params=[("a", "1", True)],
                     expect=echoed("OPTIONS /raw-echo")),
            raw_echo("post-form-unknown-charset", "POST", params=[("q", "x", True)],
                     content_encoding="bogus"),
            raw_echo("post-form-unknown-charset-decoded", "POST", params=[("q", "x", False)],
                     content_encoding="bogus"),
            raw_echo("post-raw-unknown-charset", "POST", raw_body="x", content_encoding="bogus"),
            raw_echo("post-form-bad-escape", "POST", params=[("q", "100%", False)]),
            raw_echo("post-form-bad-hex", "POST", params=[("q", "%zz", False)]),
        ])])


def shared_throughput():
    return plan(
        "shared_throughput",
        "Throughput Controllers with Per User off: one count for all threads. A setUp group "
        "warms JMeter's HTTP classes up; then the threads start 2 s apart (ramp-up 6 s) and each "
        "needs a few ms, so they take turns deterministically.",
        [setup_group("warm-up", 1, 3, [http("warm-up", "/echo?n=warm")]),
         thread_group("shared", 3, 3, [
            throughput("tp-shared-total", [http("shared-total", "/echo?n=total")], False, 5, False),
            throughput("tp-shared-pct", [http("shared-pct", "/echo?n=pct")], True, 50, False),
            throughput("tp-own-pct", [http("own-pct", "/echo?n=own")], True, 50, True),
            http("always", "/hello.txt"),
        ], ramp=6)])


# ---- XML and HTML (issue 10) ----

def xpath():
    def books(name, *children):
        return http(name, "/xml/books.xml", children=list(children))

    def enc(var):
        return "${__urlencode(${" + var + "})}"

    return plan(
        "xpath",
        "XPath Extractors (element text, attribute, CDATA, number, mixed and empty elements, "
        "fragment, namespaces on and off, Tidy, scope variable) and XPath Assertions (match, "
        "no match, negate, boolean, number).",
        [thread_group("xp", 1, 1, [
            books("extract",
                  xpath_extractor("titles", "t", "//title"),
                  xpath_extractor("attr", "id2", "/store/book[2]/@id"),
                  xpath_extractor("count", "cnt", "count(//book)"),
                  xpath_extractor("cdata", "cd", "//book[3]/title"),
                  xpath_extractor("mixed", "mx", "//mixed", default="NOMIX"),
                  xpath_extractor("empty", "em", "//empty", default="NOEMPTY"),
                  xpath_extractor("none", "nf", "//nothing", default="NF"),
                  xpath_extractor("fragment", "frag", "//book[2]/title", fragment=True),
                  xpath_extractor("default ns off", "ent", "//entry", default="NOENT"),
                  xpath_extractor("prefix ns on", "pr", "//p:price", namespace=True, default="NOPR"),
                  xpath_extractor("local ns off", "prl", "//price", default="NOPRL"),
                  xpath_extractor("prefix ns off", "prx", "//p:price", default="NOPRX"),
                  xpath_extractor("default ns on", "enton", "//entry", namespace=True,
                                  default="NOENTON"),
                  xpath_extractor("text nodes", "tx", "//mixed/text() | //comment()"),
                  xpath_extractor("string", "str", "concat(//title, '+', //book[2]/@id)")),
            http("use", "/echo?t=${t}&t1=${t_1}&t3=" + enc("t_3") + "&tn=${t_matchNr}&t4=" + enc("t_4") +
                 "&id2=${id2}&cnt=${cnt}&cd=" + enc("cd") + "&mx=${mx}&mxn=${mx_matchNr}&em=${em}"
                 "&nf=${nf}&nfn=${nf_matchNr}&frag=" + enc("frag") + "&ent=${ent}&pr=${pr}"
                 "&prn=${pr_matchNr}&prl=${prl}&prx=${prx}&enton=${enton}&tx1=${tx_1}&tx2=${tx_2}"
                 "&str=" + enc("str")),
            http("page", "/xml/page.html", children=[
                xpath_extractor("tidy", "href", "//a/@href", tolerant=True, default="NOHREF"),
                xpath_extractor("tidy title", "title", "/html/head/title", tolerant=True)]),
            http("var", "/echo?v=1", children=[
                xpath_extractor("from variable", "fv", "/store/book[1]/@lang", scope="variable",
                                variable="frag_src")]),
            http("use-page", "/echo?href=" + enc("href_2") + "&hn=${href_matchNr}&title=${title}"
                 "&fv=${fv}"),
            books("a-match", xpath_assertion("a", "//book[@id='b2']")),
            books("a-nomatch", xpath_assertion("a", "//book[@id='b9']")),
            books("a-negate-match", xpath_assertion("a", "//book", negate=True)),
            books("a-negate-nomatch", xpath_assertion("a", "//nothing", negate=True)),
            books("a-bool-true", xpath_assertion("a", "count(//book)=3")),
            books("a-bool-false", xpath_assertion("a", "count(//book)=5")),
            books("a-bool-negate", xpath_assertion("a", "count(//book)=5", negate=True)),
            books("a-number", xpath_assertion("a", "count(//book)")),
            books("a-ns-on", xpath_assertion("a", "//p:price", namespace=True)),
            http("a-empty", "/status/204", children=[xpath_assertion("a", "/")]),
        ])],
        udv=[("frag_src", '<store><book lang="fr"/></store>')])


def css_extractor_plan():
    def enc(var):
        return "${__urlencode(${" + var + "})}"

    return plan(
        "css_extractor",
        "CSS/JQuery Extractor (JSoup): tags, id, class, attribute operators, combinators, "
        "pseudo-classes, text() and attributes, match numbers 1, n, -1, past the end, defaults.",
        [thread_group("css", 1, 1, [
            http("page", "/xml/page.html", children=[
                css_extractor("title", "title", "title"),
                css_extractor("h1 text", "h1", "#main h1"),
                css_extractor("second href", "href2", "ul.list a", "href", "2"),
                css_extractor("all skus", "sku", "a[data-sku]", "data-sku", "-1"),
                css_extractor("starts", "st", "a[href^=/echo]", "href"),
                css_extractor("ends", "en", "a[href$=id=1]"),
                css_extractor("contains", "co", "a[href*=id=2]"),
                css_extractor("child", "ch", "li.last > a"),
                css_extractor("adjacent", "adj", "li.first + li"),
                css_extractor("eq", "eq", "li:eq(2)", "class"),
                css_extractor("first child", "fc", "li:first-child", "class"),
                css_extractor("nth child", "nth", "li:nth-child(2) a", "data-sku"),
                css_extractor("hidden input", "tok", "input[name=token]", "value"),
                css_extractor("missing attr", "ma", "h1", "title", default="NOATTR"),
                css_extractor("none", "none", "table td", default="NONE"),
                css_extractor("past end", "pe", "li", match_number="7", default="PAST"),
                css_extractor("paragraph", "para", "div > p"),
            ]),
            http("use", "/echo?title=${title}&h1=" + enc("h1") + "&href2=" + enc("href2") +
                 "&sku1=${sku_1}&sku3=${sku_3}&skun=${sku_matchNr}&st=" + enc("st") + "&en=${en}"
                 "&co=" + enc("co") + "&ch=${ch}&adj=" + enc("adj") + "&eq=" + enc("eq") +
                 "&fc=" + enc("fc") + "&nth=${nth}&tok=${tok}&ma=" + enc("ma") +
                 "&none=${none}&pe=${pe}&para=" + enc("para")),
        ])])


def xml_assertions():
    hello_md5 = "bf7bd8b64b79a3c63e544e79efa41a90"
    return plan(
        "xml_assertions",
        "MD5Hex Assertion (match in upper case, mismatch, empty expectation, empty response) "
        "and XML Assertion (well-formed, empty response).",
        [thread_group("xa", 1, 1, [
            http("md5-ok", "/hello.txt", children=[md5hex_assertion("m", hello_md5.upper())]),
            http("md5-bad", "/hello.txt", children=[md5hex_assertion("m", "0123")]),
            http("md5-empty", "/hello.txt", children=[md5hex_assertion("m", "")]),
            http("md5-null", "/status/204", children=[md5hex_assertion("m", hello_md5)]),
            http("xml-ok", "/xml/books.xml", children=[xml_assertion("x")]),
            http("xml-null", "/status/204", children=[xml_assertion("x")]),
        ])])


def login_and_debug():
    # Response Assertion test types: 16 substring, 20 NOT substring.
    return plan(
        "login_and_debug",
        "A Login Config Element changes nothing an HTTP Request sends (no parameters, no "
        "Authorization header); a Debug Sampler answers 200 OK with the user's variables, sorted, "
        "under a JMeterVariables: line.",
        [thread_group("login", 1, 1, [
            login_config("Login Config", "ann", "secret"),
            http("echo-get", "/echo", children=[
                response_assertion("no credentials", "Assertion.response_data", 20, ["ann", "secret",
                                                                                    "authorization"]),
                response_assertion("no args", "Assertion.response_data", 16, ['"args":{}'])]),
            http("echo-post", "/echo", method="POST", children=[
                response_assertion("no form", "Assertion.response_data", 16, ['"form":{}'])]),
        ]),
         thread_group("debug", 1, 2, [
             debug_sampler("variables", children=[
                 response_assertion("listed", "Assertion.response_data", 16,
                                    ["JMeterVariables:\n", "\nmyvar=hello\n", "\nJMeterThread.last_sample_ok=true\n"]),
                 response_assertion("not listed", "Assertion.response_data", 20, ["nosuchvar="])]),
         ])], udv=[("myvar", "hello")])
# ---- Synchronizing Timer (issue 10) ----

def sync_timer(name, group_size, timeout_ms):
    return Node("SyncTimer", "TestBeanGUI", "SyncTimer", name,
                [i("groupSize", group_size), l("timeoutInMs", timeout_ms)])


def sync_timer_plan():
    # Each user sets the property <prefix><threadNum> to its iteration when it arrives (its
    # "arrive" sampler, after a think time of threadNum seconds), and the sampler after the
    # Synchronizing Timer shows every user's property: all users' iteration only if the
    # timer held everyone until the last one arrived.
    def arrive(prefix):
        return http("arrive", "/echo?n=arrive${__setProperty(" + prefix + "${__threadNum},${__counter(TRUE,)},)}",
                    children=[constant_timer("think", "${__threadNum}000")])

    def seen(prefix, n):
        return "".join("${__P(" + prefix + str(k) + ",0)}" for k in range(1, n + 1))

    return plan(
        "sync_timer",
        "Synchronizing Timers: three users arriving 1 s apart meet twice (group size 0: the "
        "thread group's size); two users with a group size of 3 are released by the 3 s "
        "timeout. The sampler after each timer shows which users had arrived.",
        [thread_group("sync", 3, 2, [
            arrive("s"),
            http("met", "/echo?seen=" + seen("s", 3), children=[sync_timer("sync", 0, 0)]),
        ]),
         thread_group("sync-timeout", 2, 1, [
             arrive("t"),
             http("met-timeout", "/echo?seen=" + seen("t", 2), children=[sync_timer("sync-3", 3, 3000)]),
         ])])


def html_modifiers():
    links = "/html/links.html"
    return plan(
        "html_modifiers",
        "HTML Link Parser (links matched by path and parameter-name patterns, a POST form's "
        "fields filling the sampler's parameter patterns, no match) and HTML Parameter Mask "
        "(per-user counter from 0, wrapping to the lower bound; only the first '*' value).",
        [thread_group("links", 1, 1, [
            http("links-page", links),
            http("follow-item", "/echo/item", params=[("cat", ".*")], children=[anchor_modifier()]),
            http("links-page-2", links),
            http("follow-other", ".*/other", children=[anchor_modifier()]),
            http("links-page-3", links),
            http("post-form", "/echo/form", method="POST",
                 params=[("token", ".*"), ("user", "ann"), ("color", "b.*"), ("note", ".*")],
                 children=[anchor_modifier(),
                           response_assertion("form filled", BODY, SUBSTRING,
                                              ['"token":"T0K3N"', '"user":"ann"', '"color":"blue"',
                                               '"note":"hello note"'])]),
            http("links-page-4", links),
            http("no-match", "/echo/none", params=[("missing", "1")], children=[anchor_modifier()]),
        ]),
         thread_group("mask", 2, 8, [
             param_modifier("mask n", "n", "v", 5, 6, 1),
             http("masked", "/echo", params=[("other", "*"), ("n", "*"), ("n", "*")]),
         ])])


def compare_assertions():
    def body(text):
        return "/status/200?body=" + text
    return plan(
        "compare_assertions",
        "Compare Assertion: responses compared with each other within one iteration of the "
        "controller holding it (strings to skip replaced first); once two differ every later "
        "one fails; a new iteration starts again. One under a sampler in a Loop Controller "
        "belongs to the loop's iterations.",
        [thread_group("compare", 1, 2, [
            compare_assertion("same after skipping", skip=[("v[0-9]", "v#")]),
            http("same-1", body("page-v1")),
            http("same-2", body("page-v2")),
            http("differs", body("other")),
            http("after-difference", body("page-v3")),
        ]),
         thread_group("compare-loop", 1, 1, [
             loop("three times", "3", [
                 http("counter", body("n-${__counter(TRUE,)}"), children=[compare_assertion("content")]),
                 http("steady", body("same"), children=[
                     compare_assertion("by time only", content=False, time=60000)]),
             ]),
         ])])


def empty_inputs():
    # Issue 10 (h-corpus): elements JMeter 2.13 runs although a field is empty.
    return plan(
        "empty_inputs",
        "CSV Data Set without a filename (every iteration reads the end of file; with names "
        "from the file, or stop thread, the thread ends) and a CSS/JQuery Extractor with an "
        "empty selector (the variable keeps its default).",
        [thread_group("no-file", 1, 2, [
            csv_data_set("no file name", "", variable_names="a"),
            http("page", "/xml/page.html", children=[
                css_extractor("empty selector", "x", "", default="DEF"),
            ]),
            http("use", "/echo?a=${__urlencode(${a})}&x=${x}"),
        ]),
         thread_group("no-file-header", 1, 2, [
             csv_data_set("no file name, names from the file", ""),
             http("never-header", "/echo"),
         ]),
         thread_group("no-file-stop", 1, 2, [
             csv_data_set("no file name, stop thread", "", variable_names="a", stop_thread=True),
             http("never-stop", "/echo"),
         ])])


# The DNS responder `barrage-fixture --dns` starts for dns_servers (dns_servers.fixture):
# tests/fixture/dns_responder.h's CompatDnsNames(). JMeter 2.13 (dnsjava) asks port 53 only.
DNS_SERVER = "127.0.0.153"


def dns_servers():
    def dns(name, clear):
        return dns_cache_manager(name, [DNS_SERVER], clear)
    return plan(
        "dns_servers",
        "DNS Cache Manager with a custom DNS server (barrage-fixture --dns " + DNS_SERVER + ":53): "
        "names resolved per thread and kept (clear each iteration off; the cache key is the host "
        "as written) or asked again each iteration; a kept-alive connection is reused without a "
        "lookup; an unknown name. *.flip.compat.test answers 127.0.0.1 and 127.0.0.9 (nothing "
        "listens there) in turn, so a second lookup shows; /close makes every request connect.",
        [thread_group("kept", 1, 3, [
            dns("dns (kept)", False),
            http("kept-name", "/hello.txt", domain="www.compat.test"),
            http("kept-flip", "/close", domain="kept.flip.compat.test"),
            http("kept-flip-case", "/close", domain="KEPT.flip.compat.test"),
            http("literal-ip", "/hello.txt", domain="127.0.0.1"),
        ]),
         thread_group("cleared", 1, 3, [
             dns("dns (cleared)", True),
             http("cleared-flip", "/close", domain="cleared.flip.compat.test"),
             http("cleared-kept-alive", "/hello.txt", domain="alive.flip.compat.test"),
         ]),
         thread_group("unknown", 1, 2, [
             simple("with dns", [
                 dns("dns (unknown)", False),
                 http("unknown", "/hello.txt", domain="missing.compat.test", children=[
                     regex_extractor("message", "msg", "(.*)", use_headers="message")]),
             ]),
             http("unknown-message", "/echo?m=${__urlencode(${msg})}"),
         ])])


# ---- Scripts: JSR223 and BeanShell elements (issue 11) ----

def with_children(node, children):
    node.children = list(children)
    return node


# A JSR223 Assertion that always fails with the value of a Groovy expression: how a plan
# shows a value in the normalised samples (failureMessage).
def show(name, expression):
    return jsr223("Assertion", name,
                  "AssertionResult.setFailure(true); AssertionResult.setFailureMessage(String.valueOf(" + expression + "))")


def jsr223_elements():
    make_body = ("vars.put('n', String.valueOf(ctx.getThreadNum()))\n"
                 "SampleResult.setResponseData('{\"id\":' + (ctx.getThreadNum() + 1) + ',\"name\":\"u' + vars.getIteration() + '\"}', 'UTF-8')\n"
                 "return null")
    parse = ("def j = new groovy.json.JsonSlurper().parseText(prev.getResponseDataAsString())\n"
             "vars.put('id', String.valueOf(j.id)); vars.put('name', j.name)")
    return plan(
        "jsr223_elements",
        "JSR223 (Groovy) Sampler, Pre/PostProcessors, Assertions and Timer with JMeter's bindings: "
        "vars, props, ctx, prev, sampler, SampleResult, AssertionResult, Label, Parameters, args; "
        "scripts that throw.",
        [thread_group("jsr223", 2, 2, [
            with_children(jsr223("Sampler", "make body", make_body), [
                jsr223("PostProcessor", "parse", parse),
                show("sampler result", "[prev.getResponseCode(), prev.getResponseMessage(), prev.isSuccessful(), "
                     "prev.getDataType(), SampleResult.getSampleLabel()].join('|')")]),
            with_children(http("echo ${id} ${name}", "/echo?id=${id}&name=${name}&pre=${pre}"), [
                jsr223("PreProcessor", "pre", "vars.put('pre', [Label, sampler.getName(), args.length, Parameters].join(':'))",
                       parameters="p1 p2  p3"),
                jsr223("Timer", "no delay", "vars.put('timed', 'yes'); 0"),
                jsr223("Assertion", "has id", "if (!SampleResult.getResponseDataAsString().contains('id=' + vars.get('id'))) "
                       "{ AssertionResult.setFailure(true); AssertionResult.setFailureMessage('no id') }"),
                show("context", "[ctx.getThreadNum(), ctx.getThread().getThreadName(), vars.getIteration(), "
                     "ctx.getThreadGroup().getName(), vars.get('timed'), prev.getSampleLabel()].join('|')")]),
            with_children(jsr223("Sampler", "objects", "if (vars.getObject('list') == null) vars.putObject('list', [1, 2, 3])\n"
                                 "else vars.getObject('list') << 4\n"
                                 "SampleResult.setSampleLabel('objects ' + vars.getObject('list').sum()); 'done'"), []),
            with_children(http("post-processed", "/status/404"), [
                jsr223("PostProcessor", "accept 404", "if (prev.getResponseCode() == '404') { prev.setSuccessful(true); "
                       "prev.setResponseCode('299') }")]),
            with_children(jsr223("Sampler", "throws", "throw new IllegalStateException('boom ' + vars.get('id'))"), [
                show("its message", "SampleResult.getResponseMessage()")]),
            with_children(http("assertion throws", "/echo?a=1"), [
                jsr223("Assertion", "npe", "String s = null; s.length()")]),
            with_children(jsr223("Sampler", "props", "props.put('jsr223.seen', 'yes'); props.getProperty('jsr223.seen') + "
                                 "props.getProperty('port', 'none').size()"), [
                show("return value", "SampleResult.getResponseDataAsString()")]),
            # What Groovy's engine adds to a script: its methods, out, context, and the words of
            # its errors for an unknown method or variable.
            with_children(jsr223("Sampler", "engine names", "def twice(n) { n * 2 }\n"
                                 "[twice(21), out.getClass().getName(), context.getClass().getName(), "
                                 "context.getAttribute('Label')].join('|')"), [
                show("return value", "SampleResult.getResponseDataAsString()")]),
            with_children(jsr223("Sampler", "unknown method", "undefinedHelper(1, 'x')"), [
                show("its message", "SampleResult.getResponseMessage()")]),
            with_children(jsr223("Sampler", "unknown variable", "noSuchVariable.size()"), [
                show("its message", "SampleResult.getResponseMessage()")]),
        ])])


def beanshell_elements():
    return plan(
        "beanshell_elements",
        "BeanShell Sampler, Pre/PostProcessors, Assertion and Timer: ResponseCode, ResponseMessage, "
        "IsSuccess, Failure, FailureMessage, data, bsh.args, the interpreter's own variables between "
        "calls; scripts that fail.",
        [thread_group("beanshell", 2, 2, [
            with_children(beanshell("Sampler", "count", "if (count == void) count = 0; count++; vars.put(\"count\", \"\" + count);\n"
                                    "ResponseCode = \"201\"; ResponseMessage = \"made\"; return \"c=\" + count;"), [
                show("sampler result", "[prev.getResponseCode(), prev.getResponseMessage(), prev.isSuccessful(), "
                     "prev.getResponseDataAsString(), vars.get('count')].join('|')")]),
            with_children(http("echo count", "/echo?count=${count}&bpre=${bpre}"), [
                beanshell("PreProcessor", "bpre", "vars.put(\"bpre\", Label + \":\" + bsh.args.length + \":\" + Parameters);",
                          parameters="a b"),
                beanshell("Timer", "no delay", "vars.put(\"btimer\", \"ran\"); return 0;"),
                beanshell("PostProcessor", "length", "vars.put(\"len\", \"\" + (data.length > 0));"),
                beanshell("Assertion", "code check", "if (ResponseCode.equals(\"200\")) { Failure = true; "
                          "FailureMessage = \"got \" + ResponseCode + \" for \" + SampleLabel + \" \" + vars.get(\"len\") + vars.get(\"btimer\"); }")]),
            with_children(beanshell("Sampler", "not successful", "IsSuccess = false; ResponseCode = \"503\";"), []),
            with_children(beanshell("Sampler", "fails", "undefinedMethod();"), [
                show("its message", "SampleResult.getResponseCode() + '|' + SampleResult.getResponseMessage()")]),
            with_children(http("assertion fails", "/echo?b=1"), [
                beanshell("Assertion", "broken", "Object o = null; o.toString();")]),
        ])])


def jsr223_sampler_api():
    sign = ("def args = sampler.getArguments(); def hm = sampler.getHeaderManager()\n"
            "def base = (0..<hm.size()).collect { hm.getHeader(it) }.find { it.getName() == 'X-Base' }\n"
            "vars.put('before', [sampler.getName(), sampler.getMethod(), sampler.getDomain(), sampler.getPath(),\n"
            "  args.getArgumentCount(), args.getArgument(0).getName() + '=' + args.getArgument(0).getValue(),\n"
            "  base?.getValue(), sampler.getUrl().getPath()].join('|'))\n"
            "sampler.addArgument('sig', 'S' + ctx.getThreadNum())\n"
            "sampler.setPath('/echo/signed')\n"
            "hm.add(new org.apache.jmeter.protocol.http.control.Header('X-Sig', 'h' + vars.getIteration()))\n"
            "hm.removeHeaderNamed('X-Base')")
    echoed = ("def j = new groovy.json.JsonSlurper().parseText(SampleResult.getResponseDataAsString())\n"
              "AssertionResult.setFailure(true)\n"
              "AssertionResult.setFailureMessage([vars.get('before'), j.path, j.args, j.headers['x-sig'], "
              "j.headers['x-base']].join(' '))")
    return plan(
        "jsr223_sampler_api",
        "A JSR223 PreProcessor reads an HTTP Request through `sampler` (name, method, domain, path, "
        "arguments, the Header Manager's headers, getUrl) and changes this sample's request "
        "(addArgument, setPath, a header added, one removed); the next sample is sent as the plan says.",
        [thread_group("sampler api", 2, 2, [
            header_manager("headers", [("X-Base", "b1")]),
            with_children(http("api ${__threadNum}", "/echo", params=[("a", "1")]), [
                jsr223("PreProcessor", "sign", sign),
                jsr223("Assertion", "echoed", echoed)]),
            with_children(http("plain", "/echo", params=[("a", "2")]), [
                jsr223("Assertion", "echoed", "def j = new groovy.json.JsonSlurper().parseText("
                       "SampleResult.getResponseDataAsString())\nAssertionResult.setFailure(true)\n"
                       "AssertionResult.setFailureMessage([j.path, j.args, j.headers['x-sig'], j.headers['x-base']].join(' '))")]),
        ])])


def script_listeners():
    heard = "vars.put('heard', (vars.get('heard') ?: '') + sampleResult.getSampleLabel() + ':' + sampleEvent.getResult().getResponseCode() + ';')"
    return plan(
        "script_listeners",
        "JSR223 and BeanShell Listeners run a script on every sample in their scope, after its "
        "assertions, with sampleResult and sampleEvent; a listener in one controller hears only its samplers.",
        [thread_group("listeners", 1, 2, [
            jsr223("Listener", "group listener", heard),
            http("one", "/echo?heard=${heard}"),
            simple("inner", [
                beanshell("Listener", "inner listener", "vars.put(\"inner\", vars.get(\"inner\") + sampleResult.getSampleLabel());"),
                http("two", "/status/404?inner=${inner}"),
            ]),
            http("three", "/echo?heard=${heard}&inner=${inner}"),
            # A transaction's own sample is heard too, in either mode, by the listeners in the
            # controller's scope; a sample inside a parent sample is not.
            transaction("tx children", [
                jsr223("Listener", "tx listener", "vars.put('tx', (vars.get('tx') ?: '') + sampleResult.getSampleLabel() + ';')"),
                http("four", "/echo?tx=${tx}"),
            ]),
            transaction("tx parent", [http("five", "/echo?tx=${tx}")], parent=True),
            http("six", "/echo?heard=${heard}&tx=${tx}"),
        ])], udv=[("inner", "i"), ("heard", ""), ("tx", "")])


def bsf_elements():
    js_show = ("AssertionResult.setFailure(true); AssertionResult.setFailureMessage(String({}))")
    return plan(
        "bsf_elements",
        "BSF Sampler, Pre/PostProcessors, Assertion, Timer and Listener in javascript (Rhino) and "
        "groovy: vars, props, ctx, prev, sampler, SampleResult, AssertionResult, Label, Parameters, "
        "args; scripts that throw.",
        [thread_group("bsf", 2, 2, [
            bsf("Listener", "heard", "vars.put('heard', vars.get('heard') + sampleResult.getSampleLabel() + ';')"),
            with_children(bsf("Sampler", "js sampler",
                              "SampleResult.setResponseData('n=' + ctx.getThreadNum() + ' i=' + vars.getIteration());\n"
                              "SampleResult.setResponseCode('201'); 'returned'"), [
                bsf("PostProcessor", "js post", "vars.put('got', prev.getResponseDataAsString() + '-' + prev.getResponseCode())"),
                bsf("Assertion", "js assertion", js_show.format("prev.getResponseDataAsString() + '|' + Label + '|' + args.length"),
                    parameters="a b"),
            ]),
            with_children(http("echo ${got}", "/echo?got=${got}&pre=${pre}"), [
                bsf("PreProcessor", "groovy pre", "vars.put('pre', [Label, sampler.getName(), Parameters].join('-'))",
                    language="groovy", parameters="p1 p2"),
                bsf("Timer", "js timer", "vars.put('timed', 'yes'); 0"),
                bsf("Assertion", "groovy assertion", "AssertionResult.setFailure(true); "
                    "AssertionResult.setFailureMessage([vars.get('timed'), SampleResult.getResponseCode()].join('|'))",
                    language="groovy"),
            ]),
            with_children(bsf("Sampler", "js throws", "throw 'boom ' + vars.get('got')"), [
                bsf("Assertion", "its message", js_show.format("prev.getResponseMessage()")),
            ]),
            with_children(bsf("Sampler", "groovy throws", "throw new IllegalStateException('boom')", language="groovy"), [
                bsf("Assertion", "its message", js_show.format("prev.getResponseMessage()")),
            ]),
            with_children(bsf("Sampler", "js error", "noSuchFunction(1)"), [
                bsf("Assertion", "its message", js_show.format("prev.getResponseMessage()")),
            ]),
            with_children(bsf("Sampler", "js syntax", "var x = ;"), [
                bsf("Assertion", "its message", js_show.format("prev.getResponseMessage()")),
            ]),
            http("after", "/echo?heard=${heard}"),
        ])], udv=[("heard", ""), ("got", "")])


# Plans that need their own barrage-fixture with these options (scripts/jmeter_compare.sh).
FIXTURE_OPTIONS = {
    "dns_servers": "--dns " + DNS_SERVER + ":53",
}

PLAN_BUILDERS = [thread_groups, functions, more_functions, script_functions, script_functions_full,
                 simple_loop_if_while,
                 more_controllers, transactions, transaction_errors, transaction_time, cookie_scope, cookie_variables, switch_and_sections, include_controller, module_controller, runtime_controller, sample_errors, stop_test, flow_control, http_config, csv_data,
                 extractors, assertions, status_codes, connection_errors, variables,
                 https, keystore, keystore_alias, request_charset, shared_throughput, http_managers,
                 xpath, css_extractor_plan, xml_assertions, login_and_debug, sync_timer_plan,
                 html_modifiers, compare_assertions, empty_inputs, dns_servers, jsr223_elements,
                 beanshell_elements, jsr223_sampler_api, script_listeners, bsf_elements]

CSV_FILES = {
    "users.csv": "user,role\nann,admin\nben,buyer\ncid,clerk\n",
    "semicolon.csv": "one;1\ntwo;2\n",
    "tab.csv": "tab1\tT1\ntab2\tT2\n",
    "quoted.csv": '"a,b","say ""hi"""\n"plain",x\n',
    "short.csv": "line1\nline2\n",
}


def main():
    os.makedirs(PLANS, exist_ok=True)
    for build in PLAN_BUILDERS:
        name, tree = build()
        with open(os.path.join(PLANS, name + ".jmx"), "w", encoding="utf-8") as f:
            f.write(render_plan(tree))
    for name, build in INCLUDED_FILES.items():
        with open(os.path.join(PLANS, name + ".jmx"), "w", encoding="utf-8") as f:
            f.write(render_plan(build()))
    for name, options in FIXTURE_OPTIONS.items():
        with open(os.path.join(PLANS, name + ".fixture"), "w", encoding="utf-8") as f:
            f.write(options + "\n")
    for name, text in CSV_FILES.items():
        with open(os.path.join(PLANS, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)


if __name__ == "__main__":
    main()
