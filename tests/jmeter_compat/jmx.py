"""Builds .jmx test plans in the XML that JMeter 2.13's GUI saves.

make_plans.py uses these helpers to write tests/jmeter_compat/plans/*.jmx. Each helper returns
(element_xml, children) pairs; Tree.render() nests them in <hashTree> the way
SaveService writes them. Property order and empty properties follow the 2.13 GUI classes.
"""

from xml.sax.saxutils import escape

JMETER_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13 r1665067">\n')


def java_hash(s):
    """String.hashCode(), the name JMeter gives anonymous stringProps in collections."""
    h = 0
    for ch in s.encode("utf-16-be").decode("utf-16-be"):
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def esc(v):
    # Newlines as character references: the renderer indents every line of the XML.
    return escape(str(v), {'"': "&quot;", "\n": "&#10;"})


def s(name, value):
    return f'<stringProp name="{esc(name)}">{esc(value)}</stringProp>'


def b(name, value):
    return f'<boolProp name="{esc(name)}">{"true" if value else "false"}</boolProp>'


def i(name, value):
    return f'<intProp name="{esc(name)}">{int(value)}</intProp>'


def l(name, value):
    return f'<longProp name="{esc(name)}">{int(value)}</longProp>'


class Node:
    def __init__(self, tag, guiclass, testclass, testname, props, children=None, enabled=True):
        self.tag = tag
        self.guiclass = guiclass
        self.testclass = testclass
        self.testname = testname
        self.props = props  # list of xml strings (may be nested lists)
        self.children = list(children or [])
        self.enabled = enabled

    def render(self, depth):
        pad = "  " * depth
        attrs = (f'guiclass="{self.guiclass}" testclass="{self.testclass}" '
                 f'testname="{esc(self.testname)}" enabled="{"true" if self.enabled else "false"}"')
        lines = []
        flat = list(_flatten(self.props))
        if flat:
            lines.append(f"{pad}<{self.tag} {attrs}>")
            for p in flat:
                for pl in p.split("\n"):
                    lines.append(f"{pad}  {pl}")
            lines.append(f"{pad}</{self.tag}>")
        else:
            lines.append(f"{pad}<{self.tag} {attrs}/>")
        if self.children:
            lines.append(f"{pad}<hashTree>")
            for c in self.children:
                lines.extend(c.render(depth + 1))
            lines.append(f"{pad}</hashTree>")
        else:
            lines.append(f"{pad}<hashTree/>")
        return lines


def _flatten(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _flatten(e)
        else:
            yield e


def indent(xml, n=1):
    return "\n".join("  " * n + line for line in xml.split("\n"))


def collection(name, items):
    if not items:
        return f'<collectionProp name="{esc(name)}"/>'
    body = "\n".join(indent(it) for it in items)
    return f'<collectionProp name="{esc(name)}">\n{body}\n</collectionProp>'


def string_items(values):
    return [f'<stringProp name="{java_hash(v)}">{esc(v)}</stringProp>' for v in values]


def arguments_prop(pairs, http=False, name="HTTPsampler.Arguments"):
    """elementProp of Arguments: UDV pairs, or HTTP parameters when http=True ((name, value)
    or (name, value, always_encode))."""
    items = []
    for pair in pairs:
        k, v = pair[0], pair[1]
        if http:
            encode = len(pair) > 2 and pair[2]
            items.append(
                f'<elementProp name="{esc(k)}" elementType="HTTPArgument">\n'
                f'  {b("HTTPArgument.always_encode", encode)}\n'
                f'  {s("Argument.value", v)}\n'
                f'  {s("Argument.metadata", "=")}\n'
                f'  {b("HTTPArgument.use_equals", True)}\n'
                f'  {s("Argument.name", k)}\n'
                f'</elementProp>')
        else:
            items.append(
                f'<elementProp name="{esc(k)}" elementType="Argument">\n'
                f'  {s("Argument.name", k)}\n'
                f'  {s("Argument.value", v)}\n'
                f'  {s("Argument.metadata", "=")}\n'
                f'</elementProp>')
    gui = "HTTPArgumentsPanel" if http else "ArgumentsPanel"
    return (f'<elementProp name="{name}" elementType="Arguments" guiclass="{gui}" '
            f'testclass="Arguments" testname="User Defined Variables" enabled="true">\n'
            f'{indent(collection("Arguments.arguments", items))}\n'
            f'</elementProp>')


# --- plan and thread groups -----------------------------------------------------------------

def test_plan(name, comments, children, udv=(), teardown_on_shutdown=None, serialize=False):
    props = [s("TestPlan.comments", comments), b("TestPlan.functional_mode", False)]
    if teardown_on_shutdown is not None:
        props.append(b("TestPlan.tearDown_on_shutdown", teardown_on_shutdown))
    props += [b("TestPlan.serialize_threadgroups", serialize),
              arguments_prop(udv, name="TestPlan.user_defined_variables"),
              s("TestPlan.user_define_classpath", "")]
    return Node("TestPlan", "TestPlanGui", "TestPlan", name, props, children)


def _group(tag, gui, name, threads, loops, ramp, on_error, children):
    props = [s("ThreadGroup.on_sample_error", on_error),
             f'<elementProp name="ThreadGroup.main_controller" elementType="LoopController" '
             f'guiclass="LoopControlPanel" testclass="LoopController" testname="Loop Controller" '
             f'enabled="true">\n'
             f'  {b("LoopController.continue_forever", False)}\n'
             f'  {s("LoopController.loops", loops)}\n'
             f'</elementProp>',
             s("ThreadGroup.num_threads", threads), s("ThreadGroup.ramp_time", ramp),
             l("ThreadGroup.start_time", 1433000000000), l("ThreadGroup.end_time", 1433000000000),
             b("ThreadGroup.scheduler", False), s("ThreadGroup.duration", ""),
             s("ThreadGroup.delay", "")]
    return Node(tag, gui, tag, name, props, children)


def thread_group(name, threads, loops, children, ramp=0, on_error="continue"):
    return _group("ThreadGroup", "ThreadGroupGui", name, threads, loops, ramp, on_error, children)


def setup_group(name, threads, loops, children, ramp=0, on_error="continue"):
    return _group("SetupThreadGroup", "SetupThreadGroupGui", name, threads, loops, ramp,
                  on_error, children)


def teardown_group(name, threads, loops, children, ramp=0, on_error="continue"):
    return _group("PostThreadGroup", "PostThreadGroupGui", name, threads, loops, ramp,
                  on_error, children)


# --- samplers ---------------------------------------------------------------------------------

def http(name, path, method="GET", params=(), domain="", port="", follow=True, children=(),
         protocol="", enabled=True, content_encoding="", raw_body=None):
    """raw_body: the "Body Data" tab's text (HTTPSampler.postBodyRaw) instead of params."""
    raw = []
    if raw_body is not None:
        params = [("", raw_body)]
        raw = [b("HTTPSampler.postBodyRaw", True)]
    props = raw + [arguments_prop(params, http=True),
             s("HTTPSampler.domain", domain), s("HTTPSampler.port", port),
             s("HTTPSampler.connect_timeout", ""), s("HTTPSampler.response_timeout", ""),
             s("HTTPSampler.protocol", protocol), s("HTTPSampler.contentEncoding", content_encoding),
             s("HTTPSampler.path", path), s("HTTPSampler.method", method),
             b("HTTPSampler.follow_redirects", follow), b("HTTPSampler.auto_redirects", False),
             b("HTTPSampler.use_keepalive", True), b("HTTPSampler.DO_MULTIPART_POST", False),
             b("HTTPSampler.monitor", False), s("HTTPSampler.embedded_url_re", "")]
    return Node("HTTPSamplerProxy", "HttpTestSampleGui", "HTTPSamplerProxy", name, props,
                children, enabled)


ACTION_STOP, ACTION_PAUSE, ACTION_STOP_NOW, ACTION_NEXT_LOOP = 0, 1, 2, 3


def test_action(name, action, duration="0", target=0, children=()):
    props = [i("ActionProcessor.action", action), i("ActionProcessor.target", target),
             s("ActionProcessor.duration", duration)]
    return Node("TestAction", "TestActionGui", "TestAction", name, props, children)


# --- controllers ------------------------------------------------------------------------------

def simple(name, children, enabled=True):
    return Node("GenericController", "LogicControllerGui", "GenericController", name, [],
                children, enabled)


def loop(name, loops, children):
    # The GUI saves continue_forever=true for a Loop Controller that is not a thread group's.
    return Node("LoopController", "LoopControlPanel", "LoopController", name,
                [b("LoopController.continue_forever", True), s("LoopController.loops", loops)],
                children)


def if_ctl(name, condition, children, use_expression=False, evaluate_all=False):
    props = [s("IfController.condition", condition), b("IfController.evaluateAll", evaluate_all)]
    if use_expression:
        props.append(b("IfController.useExpression", True))
    return Node("IfController", "IfControllerPanel", "IfController", name, props, children)


def while_ctl(name, condition, children):
    return Node("WhileController", "WhileControllerGui", "WhileController", name,
                [s("WhileController.condition", condition)], children)


def transaction(name, children, parent=False, include_timers=False):
    """include_timers=None leaves the property out, as plans saved by JMeter 2.12 and older."""
    props = [] if include_timers is None else [b("TransactionController.includeTimers", include_timers)]
    return Node("TransactionController", "TransactionControllerGui", "TransactionController",
                name, props + [b("TransactionController.parent", parent)], children)


def once_only(name, children):
    return Node("OnceOnlyController", "OnceOnlyControllerGui", "OnceOnlyController", name, [],
                children)


def foreach(name, input_var, return_var, children, use_separator=True, start="", end=""):
    props = [s("ForeachController.inputVal", input_var),
             s("ForeachController.returnVal", return_var),
             b("ForeachController.useSeparator", use_separator)]
    if start != "" or end != "":
        props += [s("ForeachController.startIndex", start), s("ForeachController.endIndex", end)]
    return Node("ForeachController", "ForeachControlPanel", "ForeachController", name, props,
                children)


def throughput(name, children, style_percent, value, per_thread):
    props = [i("ThroughputController.style", 1 if style_percent else 0),
             b("ThroughputController.perThread", per_thread),
             i("ThroughputController.maxThroughput", value if not style_percent else 1),
             '<FloatProperty>\n'
             '  <name>ThroughputController.percentThroughput</name>\n'
             f'  <value>{float(value) if style_percent else 100.0}</value>\n'
             '  <savedValue>0.0</savedValue>\n'
             '</FloatProperty>']
    return Node("ThroughputController", "ThroughputControllerGui", "ThroughputController", name,
                props, children)


def random_ctl(name, children):
    return Node("RandomController", "RandomControlGui", "RandomController", name,
                [i("InterleaveControl.style", 1)], children)


def interleave(name, children, ignore_sub_controllers=False):
    return Node("InterleaveControl", "InterleaveControlGui", "InterleaveControl", name,
                [i("InterleaveControl.style", 0 if ignore_sub_controllers else 1)], children)


def runtime(name, seconds, children):
    return Node("RunTime", "RunTimeGui", "RunTime", name, [s("RunTime.seconds", seconds)],
                children)


def module(name, node_path):
    items = string_items(node_path)
    return Node("ModuleController", "ModuleControllerGui", "ModuleController", name,
                [collection("ModuleController.node_path", items)])


def fragment(name, children):
    return Node("TestFragmentController", "TestFragmentControllerGui", "TestFragmentController",
                name, [], children, enabled=False)


# --- Switch, Random Order, Critical Section, Include (issue 10) ---

def switch(name, value, children):
    return Node("SwitchController", "SwitchControllerGui", "SwitchController", name,
                [s("SwitchController.value", value)], children)


def random_order(name, children):
    return Node("RandomOrderController", "RandomOrderControllerGui", "RandomOrderController",
                name, [], children)


def critical_section(name, lock_name, children):
    return Node("CriticalSectionController", "CriticalSectionControllerGui",
                "CriticalSectionController", name, [s("CriticalSectionController.lockName", lock_name)],
                children)


def include(name, path):
    return Node("IncludeController", "IncludeControllerGui", "IncludeController", name,
                [s("IncludeController.includepath", path)])


# OnError.action of the Result Status Action Handler (JMeter 2.13 has 0-4).
ON_ERROR_CONTINUE, ON_ERROR_STOP_THREAD, ON_ERROR_STOP_TEST, ON_ERROR_STOP_TEST_NOW, \
    ON_ERROR_NEXT_THREAD_LOOP = range(5)


def result_action(name, action):
    return Node("ResultAction", "ResultActionGui", "ResultAction", name, [i("OnError.action", action)])


# --- config elements --------------------------------------------------------------------------

def http_defaults(domain="127.0.0.1", port="${__P(port,8080)}", path="", protocol="http",
                  params=(), name="HTTP Request Defaults"):
    props = [arguments_prop(params, http=True),
             s("HTTPSampler.domain", domain), s("HTTPSampler.port", port),
             s("HTTPSampler.connect_timeout", ""), s("HTTPSampler.response_timeout", ""),
             s("HTTPSampler.protocol", protocol), s("HTTPSampler.contentEncoding", ""),
             s("HTTPSampler.path", path), s("HTTPSampler.concurrentPool", "4")]
    return Node("ConfigTestElement", "HttpDefaultsGui", "ConfigTestElement", name, props)


def keystore_config(name, start_index, end_index, alias_var="", preload=True):
    # 2.13's TestBeanGUI saves these four properties, strings, in this order.
    return Node("KeystoreConfig", "TestBeanGUI", "KeystoreConfig", name,
                [s("clientCertAliasVarName", alias_var), s("endIndex", end_index),
                 s("preload", "true" if preload else "false"), s("startIndex", start_index)])


def udv(name, pairs):
    items = [f'<elementProp name="{esc(k)}" elementType="Argument">\n'
             f'  {s("Argument.name", k)}\n  {s("Argument.value", v)}\n'
             f'  {s("Argument.metadata", "=")}\n</elementProp>' for k, v in pairs]
    return Node("Arguments", "ArgumentsPanel", "Arguments", name,
                [collection("Arguments.arguments", items)])


def header_manager(name, headers):
    items = [f'<elementProp name="" elementType="Header">\n'
             f'  {s("Header.name", k)}\n  {s("Header.value", v)}\n</elementProp>'
             for k, v in headers]
    return Node("HeaderManager", "HeaderPanel", "HeaderManager", name,
                [collection("HeaderManager.headers", items)])


def cookie_manager(name, clear_each_iteration):
    return Node("CookieManager", "CookiePanel", "CookieManager", name,
                [collection("CookieManager.cookies", []),
                 b("CookieManager.clearEachIteration", clear_each_iteration)])


# ---- HTTP configuration (issue 10) ----
def auth_manager(name, rows):
    """rows: (url, user, password); JMeter 2.13 writes no mechanism for BASIC_DIGEST."""
    items = [f'<elementProp name="" elementType="Authorization">\n'
             f'  {s("Authorization.url", u)}\n  {s("Authorization.username", user)}\n'
             f'  {s("Authorization.password", pw)}\n  {s("Authorization.domain", "")}\n'
             f'  {s("Authorization.realm", "")}\n</elementProp>' for u, user, pw in rows]
    return Node("AuthManager", "AuthPanel", "AuthManager", name, [collection("AuthManager.auth_list", items)])


def cache_manager(name, clear_each_iteration, use_expires):
    return Node("CacheManager", "CacheManagerGui", "CacheManager", name,
                [b("clearEachIteration", clear_each_iteration), b("useExpires", use_expires)])


def dns_cache_manager(name, servers, clear_each_iteration, custom_resolver=True):
    """JMeter 2.13's DNSCachePanel: servers, clear each iteration, custom resolver (no hosts
    table before 3.x)."""
    return Node("DNSCacheManager", "DNSCachePanel", "DNSCacheManager", name,
                [collection("DNSCacheManager.servers", string_items(servers)),
                 b("DNSCacheManager.clearEachIteration", clear_each_iteration),
                 b("DNSCacheManager.isCustomResolver", custom_resolver)])


def url_rewriting(name, argument, path_extension=False, no_equals=False, no_questionmark=False,
                  cache_value=True, encode=False):
    return Node("URLRewritingModifier", "URLRewritingGui", "URLRewritingModifier", name,
                [s("argument_name", argument), b("path_extension", path_extension),
                 b("path_extension_no_equals", no_equals),
                 b("path_extension_no_questionmark", no_questionmark), b("cache_value", cache_value),
                 b("encode", encode)])


def csv_data_set(name, filename, variable_names="", delimiter=",", quoted=False, recycle=True,
                 stop_thread=False, share_mode="shareMode.all"):
    props = [s("delimiter", delimiter), s("fileEncoding", ""), s("filename", filename),
             b("quotedData", quoted), b("recycle", recycle), s("shareMode", share_mode),
             b("stopThread", stop_thread), s("variableNames", variable_names)]
    return Node("CSVDataSet", "TestBeanGUI", "CSVDataSet", name, props)


def counter(name, var, start, end, incr="1", fmt="", per_user=False, reset_each_iteration=False):
    props = [s("CounterConfig.start", start), s("CounterConfig.end", end),
             s("CounterConfig.incr", incr), s("CounterConfig.name", var),
             s("CounterConfig.format", fmt), b("CounterConfig.per_user", per_user)]
    if per_user:
        props.append(b("CounterConfig.reset_on_tg_iteration", reset_each_iteration))
    return Node("CounterConfig", "CounterConfigGui", "CounterConfig", name, props)


def user_parameters(name, names, per_thread_values, per_iteration=False):
    threads = []
    for values in per_thread_values:
        inner = "\n".join(indent(x) for x in string_items(values))
        threads.append(f'<collectionProp name="{java_hash("".join(values))}">\n{inner}\n'
                       f'</collectionProp>')
    return Node("UserParameters", "UserParametersGui", "UserParameters", name,
                [collection("UserParameters.names", string_items(names)),
                 collection("UserParameters.thread_values", threads),
                 b("UserParameters.per_iteration", per_iteration)])


# --- timers, post-processors, assertions ------------------------------------------------------

def constant_timer(name, delay):
    return Node("ConstantTimer", "ConstantTimerGui", "ConstantTimer", name,
                [s("ConstantTimer.delay", delay)])


def regex_extractor(name, refname, regex, template="$1$", default="", match_number="1",
                    use_headers="false"):
    return Node("RegexExtractor", "RegexExtractorGui", "RegexExtractor", name,
                [s("RegexExtractor.useHeaders", use_headers), s("RegexExtractor.refname", refname),
                 s("RegexExtractor.regex", regex), s("RegexExtractor.template", template),
                 s("RegexExtractor.default", default),
                 s("RegexExtractor.match_number", match_number)])


# Response Assertion test types (2.13 has no OR; 5.x adds OR = 32).
MATCH, CONTAINS, NOT, EQUALS, SUBSTRING = 1, 2, 4, 8, 16


def response_assertion(name, field, test_type, patterns, assume_success=False):
    return Node("ResponseAssertion", "AssertionGui", "ResponseAssertion", name,
                [collection("Asserion.test_strings", string_items(patterns)),
                 s("Assertion.test_field", field), b("Assertion.assume_success", assume_success),
                 i("Assertion.test_type", test_type)])


def duration_assertion(name, ms):
    return Node("DurationAssertion", "DurationAssertionGui", "DurationAssertion", name,
                [s("DurationAssertion.duration", ms)])


# Size Assertion operators: 1 '=', 2 '!=', 3 '>', 4 '<', 5 '>=', 6 '<='.
def size_assertion(name, field, size, operator):
    return Node("SizeAssertion", "SizeAssertionGui", "SizeAssertion", name,
                [s("Assertion.test_field", field), s("SizeAssertion.size", size),
                 i("SizeAssertion.operator", operator)])


# ---- XML and HTML (issue 10) ----

def xpath_extractor(name, refname, query, default="", tolerant=False, namespace=False,
                    fragment=False, scope=None, variable=""):
    props = [s("XPathExtractor.default", default), s("XPathExtractor.refname", refname),
             s("XPathExtractor.xpathQuery", query), b("XPathExtractor.validate", False),
             b("XPathExtractor.tolerant", tolerant), b("XPathExtractor.namespace", namespace)]
    if fragment:
        props.append(b("XPathExtractor.fragment", True))
    if scope is not None:
        props += [s("Sample.scope", scope)] + ([s("Scope.variable", variable)] if variable else [])
    return Node("XPathExtractor", "XPathExtractorGui", "XPathExtractor", name, props)


def css_extractor(name, refname, expr, attribute="", match_number="1", default=""):
    return Node("HtmlExtractor", "HtmlExtractorGui", "HtmlExtractor", name,
                [s("HtmlExtractor.refname", refname), s("HtmlExtractor.expr", expr),
                 s("HtmlExtractor.attribute", attribute), s("HtmlExtractor.default", default),
                 s("HtmlExtractor.match_number", match_number),
                 s("HtmlExtractor.extractor_impl", "")])


def md5hex_assertion(name, md5):
    return Node("MD5HexAssertion", "MD5HexAssertionGUI", "MD5HexAssertion", name,
                [s("MD5HexAssertion.size", md5)])


def xml_assertion(name):
    return Node("XMLAssertion", "XMLAssertionGui", "XMLAssertion", name, [])


def xml_schema_assertion(name, filename):
    return Node("XMLSchemaAssertion", "XMLSchemaAssertionGUI", "XMLSchemaAssertion", name,
                [s("xmlschema_assertion_filename", filename)])


def xpath_assertion(name, xpath, negate=False, tolerant=False, namespace=False):
    return Node("XPathAssertion", "XPathAssertionGui", "XPathAssertion", name,
                [b("XPath.negate", negate), s("XPath.xpath", xpath), b("XPath.validate", False),
                 b("XPath.whitespace", False), b("XPath.tolerant", tolerant),
                 b("XPath.namespace", namespace)])


def render_plan(plan):
    out = [JMETER_HEADER.rstrip("\n")]
    out.append("  <hashTree>")
    out.extend(plan.render(2))
    workbench = Node("WorkBench", "WorkBenchGui", "WorkBench", "WorkBench",
                     [b("WorkBench.save", True)])
    out.extend(workbench.render(2))
    out.append("  </hashTree>")
    out.append("</jmeterTestPlan>")
    return "\n".join(out) + "\n"


# ---- Login Config and Debug Sampler (issue 10) ----

def login_config(name, username, password):
    return Node("ConfigTestElement", "LoginConfigGui", "ConfigTestElement", name,
                [s("ConfigTestElement.username", username), s("ConfigTestElement.password", password)])


def debug_sampler(name, children=(), properties=False, variables=True, system=False):
    return Node("DebugSampler", "TestBeanGUI", "DebugSampler", name,
                [b("displayJMeterProperties", properties), b("displayJMeterVariables", variables),
                 b("displaySystemProperties", system)], children)


# ---- HTML modifiers and Compare Assertion (issue 10) ----

def anchor_modifier(name="HTML Link Parser"):
    return Node("AnchorModifier", "AnchorModifierGui", "AnchorModifier", name, [])


def param_modifier(name, field, prefix, lower, upper, increment, suffix=""):
    mask = (f'<elementProp name="ParamModifier.mask" elementType="ParamMask">\n'
            f'  {s("ParamModifier.field_name", field)}\n  {s("ParamModifier.prefix", prefix)}\n'
            f'  {l("ParamModifier.lower_bound", lower)}\n  {l("ParamModifier.upper_bound", upper)}\n'
            f'  {l("ParamModifier.increment", increment)}\n  {s("ParamModifier.suffix", suffix)}\n'
            f'</elementProp>')
    return Node("ParamModifier", "ParamModifierGui", "ParamModifier", name, [mask])


def compare_assertion(name, content=True, time=-1, skip=()):
    items = [f'<elementProp name="" elementType="SubstitutionElement">\n'
             f'  {s("regex", r)}\n  {s("substitute", sub)}\n</elementProp>' for r, sub in skip]
    return Node("CompareAssertion", "TestBeanGUI", "CompareAssertion", name,
                [b("compareContent", content), l("compareTime", time),
                 collection("stringsToSkip", items)])


# --- scripts (issue 11) ------------------------------------------------------------------------

def jsr223(kind, name, script, language="groovy", parameters="", filename=""):
    """JSR223 Sampler / PreProcessor / PostProcessor / Assertion / Timer as 2.13 saves it."""
    return Node("JSR223" + kind, "TestBeanGUI", "JSR223" + kind, name,
                [s("cacheKey", ""), s("filename", filename), s("parameters", parameters),
                 s("script", script), s("scriptLanguage", language)])


def bsf(kind, name, script, language="javascript", parameters="", filename=""):
    """BSF Sampler / PreProcessor / PostProcessor / Assertion / Timer / Listener as 2.13 saves it."""
    return Node("BSF" + kind, "TestBeanGUI", "BSF" + kind, name,
                [s("filename", filename), s("parameters", parameters), s("script", script),
                 s("scriptLanguage", language)])


def beanshell(kind, name, script, parameters="", filename="", reset=False):
    """BeanShell Sampler / Assertion (their own property names) or PreProcessor / PostProcessor / Timer."""
    if kind in ("Sampler", "Assertion"):  # their own property names
        cls = "BeanShell" + kind
        return Node(cls, cls + "Gui", cls, name,
                    [s(cls + ".query", script), s(cls + ".filename", filename),
                     s(cls + ".parameters", parameters), b(cls + ".resetInterpreter", reset)])
    return Node("BeanShell" + kind, "TestBeanGUI", "BeanShell" + kind, name,
                [s("filename", filename), s("parameters", parameters), b("resetInterpreter", reset),
                 s("script", script)])
