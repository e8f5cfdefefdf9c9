// Evaluation of `${...}` templates (template.h) with JMeter's variables and functions.
//
// Semantics follow JMeter: `${name}` gives the variable's value, or stays `${name}` as
// written when the variable is not set; functions are evaluated innermost first; an unknown
// function stays as written (JMeter reads it as a variable named up to the first '}', so
// in `${__f(${a},${__g()})}` the `${__g()}` after that brace is still evaluated); a call
// with the wrong number of arguments, or arguments a function rejects (`__Random(a,3)`),
// stays as written too. Arguments a function names a variable with are trimmed where JMeter
// trims them, and every function with such an argument also stores its result there.
// Relative file names resolve against RunContext::base_dir.
//
// Supported functions: __P, __property, __setProperty, __Random, __RandomString,
// __RandomDate, __RandomFromMultipleVars, __threadNum, __counter, __time, __timeShift,
// __dateTimeConvert, __UUID, __intSum, __longSum, __urlencode, __urldecode, __escapeHtml,
// __unescapeHtml, __escapeXml, __unescape, __escapeOroRegexpChars, __changeCase, __char,
// __digest, __base64Encode, __base64Decode (JMeter Plugins), __V, __eval, __evalVar,
// __isVarDefined, __isPropDefined, __split, __StringFromFile, __FileToString, __CSVRead,
// __StringToFile, __XPath,
// __env (JMeter Plugins), __log, __logn, __machineName, __machineIP, __samplerName,
// __threadGroupName, __TestPlanName, __fifoPut, __fifoSize, __fifoGet (JMeter Plugins, on
// the run's RunContext::fifos; __fifoPop, which blocks, is not); script functions __javaScript,
// __groovy, __BeanShell, __jexl2 and __jexl3 (see RunScriptFunction below). __time, __timeShift,
// __dateTimeConvert and __RandomDate use DateTimeFormatter patterns, as JMeter 5.5+ does
// (java_time_format.h).
//
// Threading: a ThreadContext belongs to one virtual user (one event-loop thread); the
// RunContext it points to is shared by all and thread-safe.
#ifndef BARRAGE_COMMON_FUNCTIONS_H_
#define BARRAGE_COMMON_FUNCTIONS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/connect_to.h"
#include "common/plan.h"
#include "common/status.h"
#include "common/template.h"
#include "common/user_rng.h"
#include "common/variables.h"

namespace barrage {

// The run's jp@gc Fifo queues as the __fifo functions see them (worker/fifo_queues.h).
// Thread-safe.
class FifoAccess {
 public:
  virtual void Put(const std::string& queue, std::string value) = 0;
  virtual size_t size(const std::string& queue) = 0;
  // The first value, left in the queue; nullopt when it is empty.
  virtual std::optional<std::string> Front(const std::string& queue) = 0;

 protected:
  ~FifoAccess() = default;
};

struct ThreadContext;
struct SampleResult;

// The run's script host as script functions see it (issue 11; worker/script_functions.h
// implements it over the JVM). Thread-safe.
class ScriptFunctions {
 public:
  // Runs `script` as `function` ("__javaScript", "__groovy", "__BeanShell", "__jexl2", "__jexl3"; JMeter's bindings
  // log, ctx, vars, props, threadName, sampler, OUT) for ctx's user, on the calling thread.
  // `occurrence` identifies the call in the plan (its TemplatePart): __BeanShell keeps one
  // interpreter per occurrence, as JMeter keeps one per function instance.
  // The script's value as the function returns it; InvalidArgument: the script failed
  // (logged; the function then gives "" as JMeter's does); Unsupported: no interpreter for
  // it, and the call stays as written.
  virtual Result<std::string> Run(std::string_view function, const std::string& script, ThreadContext& ctx,
                                  const void* occurrence) = 0;

 protected:
  ~ScriptFunctions() = default;
};

// What a ScriptFunctions keeps per user (ThreadContext::script_user); opaque to common/.
class ScriptUserSlot {
 public:
  virtual ~ScriptUserSlot() = default;
};

// State shared by every virtual user of a run. Thread-safe.
class RunContext {
 public:
  Properties properties;
  std::string test_plan_file;  // the .jmx file name, as __TestPlanName returns it
  std::string base_dir;        // the plan's folder: relative file names resolve here
  std::string machine_name;    // host name (__machineName)
  // Cluster worker: the data files the controller shipped, by the name the plan gives them,
  // to their local copies; file functions read these copies.
  std::unordered_map<std::string, std::string> local_copies;
  // The engine's Fifo queues while it exists (set by the engine); null otherwise: the
  // __fifo functions then stay as written.
  FifoAccess* fifos = nullptr;
  // The script host for script functions (and JavaScript conditions) the one-line evaluator
  // cannot run; set by the engine when the plan has some (Plan::script_functions) or script
  // elements. Null: such calls stay as written.
  ScriptFunctions* scripts = nullptr;
  // --connect-to: where requests connect instead of their URL's address (common/connect_to.h).
  std::vector<ConnectToRule> connect_to;

  // __counter(FALSE): one counter per function occurrence, shared by all users.
  int64_t NextGlobalCounter(const void* occurrence);
  // __StringFromFile: the next line for the function call `occurrence` (JMeter keeps one
  // reader per reference in the plan, shared by all users). `args` are the call's
  // evaluated parameters (file, variable, start, end); the file is opened relative to
  // base_dir at the first call and reopened at its end, the next of a sequence when
  // start/end numbers are given (the name is then a DecimalFormat pattern). nullopt: no
  // line (unreadable file); *end_of_sequence is set when the sequence's last file is done.
  std::optional<std::string> NextLineOf(const void* occurrence, const std::vector<std::string>& args,
                                        bool* end_of_sequence);
  // __FileToString: the whole file, cached; nullopt when unreadable.
  std::optional<std::string> FileContents(const std::string& path);

  // __CSVRead (JMeter's FileRowColContainer): the rows of a file opened under `alias` (the
  // file name, or "*name"), split at the csvread.delimiter property (default ","), up to
  // the first empty line. One per alias, shared by all users; the first open of an alias
  // reads `path` (then the default file when `path` is empty and exactly one is open).
  // nullptr when the file cannot be read.
  struct CsvReadFile;
  std::shared_ptr<CsvReadFile> OpenCsvReadFile(const std::string& alias, const std::string& path);
  // The file name the first __CSVRead open used, when exactly one file is open; else "".
  std::string DefaultCsvReadFile();
  // The next row index of `file` (wrapping round); -1 for an empty file.
  static int NextCsvReadRow(CsvReadFile& file);
  // Column `col` of row `row`, nullopt when out of range.
  static std::optional<std::string> CsvReadColumn(const CsvReadFile& file, int row, int64_t col);

  // __machineIP: the address the host name resolves to (IPv4 first), resolved once.
  const std::string& MachineIp();

  // __XPath (JMeter's XPathWrapper and XPathFileContainer): the DOM node value of the next
  // node `xpath` selects in the XML file `path`, one list per file and expression shared by
  // all users, wrapping around. The file is parsed once (strict XML, no namespaces); a node
  // without a node value (an element) gives "null", as JMeter appends Java's null. "" when
  // the file cannot be read or parsed, the expression is not a node set, or selects nothing.
  std::string NextXPathValue(const std::string& path, const std::string& xpath);

 private:
  std::mutex mu_;
  std::unordered_map<const void*, int64_t> global_counters_;
  struct LineReader;
  std::unordered_map<const void*, std::shared_ptr<LineReader>> readers_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> files_;
  std::unordered_map<std::string, std::shared_ptr<CsvReadFile>> csv_read_files_;
  std::string csv_read_default_;
  struct XPathList;
  std::unordered_map<std::string, std::shared_ptr<XPathList>> xpath_lists_;
  std::once_flag machine_ip_once_;
  std::string machine_ip_;
};

// One user's position in a __CSVRead file (JMeter's FileWrapper): the row it reads until
// __CSVRead(file,next) ends it.
struct CsvReadCursor {
  std::shared_ptr<RunContext::CsvReadFile> file;
  int row = -1;  // -1: take the file's next row at the next read
};

// One virtual user's evaluation context.
struct ThreadContext {
  RunContext* run = nullptr;
  Variables vars;
  // The user's JVM side for script functions, made by RunContext::scripts at its first call
  // (declared after `vars`, which it points to, so it goes first).
  std::unique_ptr<ScriptUserSlot> script_user;
  int thread_num = 1;  // 1-based within its thread group (__threadNum)
  int iteration = 0;   // the user's main-loop iteration, 1 on its first (vars.getIteration())
  // What script functions bind as prev (ctx.getPreviousResult()): the sample being completed
  // while its post-processors and assertions run, else the user's last sample when the user
  // keeps a copy (Plan::script_functions_read_previous); null: none. The worker's type
  // (worker/sample_result.h), opaque here.
  const SampleResult* previous_result = nullptr;
  std::string thread_name;  // "<group> <g>-<n>"
  std::string group_name;
  UserRng rng = UserRng::FromEntropy();
  // __counter(TRUE): per user, per function occurrence.
  std::unordered_map<const void*, int64_t> user_counters;
  // The sampler being run (its pre-processors, itself, its post-processors, assertions),
  // for __samplerName; set by the worker, null outside a sampler.
  const std::string* sampler_name = nullptr;
  // Set by a function that throws JMeter's JMeterStopThreadException("End of sequence")
  // (__StringFromFile after its last file). An HTTP sampler reading its properties turns it
  // into a failed sample and clears it, as JMeter's does; anywhere else the user stops.
  bool stop_thread = false;
  // __CSVRead: this user's open files, by alias.
  std::unordered_map<std::string, CsvReadCursor> csv_read;
};

// Evaluates a template.
// A file name as the run opens it: a cluster worker's local copy of a shipped file, else
// resolved against the plan's folder (RunContext::base_dir) when relative.
std::string ResolvePath(const RunContext& run, std::string_view path);

std::string Evaluate(const Template& t, ThreadContext& ctx);
// The same, appended to `out` (which keeps its buffer: the hot path builds into reused strings).
void EvaluateInto(const Template& t, ThreadContext& ctx, std::string* out);
// Evaluates a plan value: its text when literal, else its parsed template.
std::string Evaluate(const Value& v, ThreadContext& ctx);
// Parses and evaluates text that was not parsed ahead (a variable's value for __V/__eval).
std::string EvaluateText(std::string_view text, ThreadContext& ctx);

// Checks the argument count of every call to a supported function in `t`, nested ones
// included. JMeter refuses to run a plan with such a call; Evaluate leaves it as written.
// The message is JMeter's: "__Random called with wrong number of parameters. Actual: 1.
// Expected: >= 2 and <= 3".
Status CheckFunctionCalls(const Template& t);

// A file a function reads, named literally in the plan (for shipping to cluster workers).
struct FunctionFile {
  std::string function;  // "__CSVRead", "__StringFromFile", "__FileToString" or "__XPath"
  std::string file;      // as written (trimmed), relative to the plan's folder or absolute
};
// The literal file arguments (no `${`) of those functions in `t`, nested calls included;
// __CSVRead's aliases ("*name") and empty names are not files. A __StringFromFile file
// sequence with literal start and end numbers gives each of its files (at most 1,000).
void CollectFunctionFiles(const Template& t, std::vector<FunctionFile>* files);

// The language a script expression is read in: numbers, printing, truth and a few methods
// differ (see EvaluateScriptExpression).
// kJexl is JEXL 3 (__jexl3); kJexl2 (__jexl2) differs in '+' with a string: it adds when
// both sides read as numbers ("5" + 2 is 7), and concatenates otherwise.
enum class ScriptDialect { kJavaScript, kGroovy, kJexl, kJexl2 };
inline bool IsJexl(ScriptDialect d) { return d == ScriptDialect::kJexl || d == ScriptDialect::kJexl2; }

// The one-line script expressions plans use in If/While controllers (JavaScript) and in
// __javaScript, __groovy and __jexl2/__jexl3:
// - literals ("a", 'a' with backslash escapes, 12, 1.5, 2e3, true, false, null),
//   vars.get("x"), props.get("x"), props.getProperty("x"[, "default"]);
// - + - * / % with unary - + and parentheses, JavaScript's precedence. JavaScript: doubles
//   (7/2 is 3.5, printed as JavaScript prints them: 4, 3.5, 1e+21), + concatenates when
//   either side is a string, other operators convert strings ("5" * 2 is 10). Groovy:
//   integers and BigDecimal decimals (1.5 * 2 is 3.0, 7/2 is 3.5, 4/2 is 2, 1/3 is
//   0.3333333333), + concatenates with a string, "ab" * 2 repeats. JEXL: longs and doubles
//   (7/2 is 3, 1.5 * 2 is 3.0), + concatenates with a string, numeric strings convert;
// - comparisons == != < > <= >= (numeric when both sides are numbers, or one is a number
//   and the other a numeric string; else by string content), JavaScript's strict === !==;
// - && || ! (short-circuit; JavaScript's give the deciding operand, the others a boolean)
//   and cond ? a : b. Truth: false, null, 0, NaN and "" are false, so is "false" in JEXL;
// - on strings: .length (JavaScript) .length() .size() .isEmpty() .trim() .toLowerCase()
//   .toUpperCase() .equals(x) .equalsIgnoreCase(x) .contains(x) .includes(x)
//   .startsWith(x) .endsWith(x) .indexOf(x) .substring(a[, b]) .replace(a, b) (JavaScript:
//   the first occurrence; Java: all) .toInteger(), counting UTF-16 units as Java does;
// - parseInt(x), parseFloat(x), Number(x), String(x), Integer.parseInt(x).
// One trailing ';' is allowed. Returns the value printed as the dialect prints it ("true",
// "3.5"; Groovy's and JEXL's doubles as Java 17's Double.toString, common/java_lang.h;
// null gives "null" in JavaScript, as Rhino prints it, and "" in Groovy and JEXL).
// Errors: Unsupported when the text is outside this grammar, or a value it cannot compute
// exactly (beyond 128-bit integers, case mapping outside Latin and Cyrillic); the message
// quotes the expression and names what and where, and Evaluate then leaves the call as
// written. InvalidArgument when evaluation fails as the script would (a method on null,
// integer division by zero, Integer.parseInt("x"), an unset `${var}` left in the text),
// and Evaluate then gives "" as JMeter does after a script error.
// The grammar is the same in every dialect, so a check with any dialect finds the same
// Unsupported texts.
Result<std::string> EvaluateScriptExpression(std::string_view expression, ThreadContext& ctx,
                                             ScriptDialect dialect = ScriptDialect::kJavaScript);

// A script function's script (`function`: "__javaScript", "__groovy", "__jexl2", "__jexl3" or
// "__BeanShell") or a JavaScript condition: EvaluateScriptExpression when the text is within
// its grammar (same results, no JVM), else the run's script host (RunContext::scripts), inline
// on the calling thread. __BeanShell always runs on the host. Errors as EvaluateScriptExpression's:
// Unsupported when neither can run it (no host), InvalidArgument when the script failed.
// `occurrence`: ScriptFunctions::Run's.
Result<std::string> RunScriptFunction(std::string_view function, std::string_view script, ThreadContext& ctx,
                                      const void* occurrence = nullptr);
// JavaScript conditions (If / While Controller "interpret condition as JavaScript"): the
// same as RunScriptFunction("__javaScript", ...).
Result<std::string> EvaluateScript(std::string_view expression, ThreadContext& ctx);

// JMeter's If/While condition test: the evaluated text equals "true", ignoring case.
bool IsTrue(std::string_view evaluated);

}  // namespace barrage

#endif  // BARRAGE_COMMON_FUNCTIONS_H_
