#include "worker/script_host.h"

#include <dlfcn.h>
#include <jni.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/utf8.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

// The interpreters' jars as Debian installs them, and the package that brings each.
struct InterpreterJar {
  const char* language;
  const char* path;
  const char* package;
};
constexpr InterpreterJar kJars[] = {
    {"groovy", "/usr/share/java/groovy-all.jar", "groovy"},
    {"beanshell", "/usr/share/java/bsh.jar", "libbsh-java"},
    {"javascript", "/usr/share/java/js.jar", "librhino-java"},
    {"", "/usr/share/java/commons-codec.jar", "libcommons-codec-java"},
    {"jexl2", "/usr/share/java/commons-jexl2.jar", "libcommons-jexl2-java"},
    {"jexl3", "/usr/share/java/commons-jexl3.jar", "libcommons-jexl3-java"},
    {"", "/usr/share/java/commons-logging.jar", "libcommons-logging-java"},  // JEXL 3 logs through it
};

bool IsFile(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string FindJavaHome() {
  std::vector<std::string> candidates;
  if (const char* h = std::getenv("BARRAGE_JAVA_HOME"); h && *h) {
    if (std::string_view(h) == "none") return "";  // as if no Java were installed (tests, operators)
    candidates.push_back(h);
  }
  std::error_code ec;
  if (fs::is_directory("/usr/lib/jvm", ec)) {
    std::vector<std::string> jdk17;
    for (const auto& e : fs::directory_iterator("/usr/lib/jvm", ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("java-17-openjdk-", 0) == 0) jdk17.push_back(e.path().string());
    }
    std::sort(jdk17.begin(), jdk17.end());
    candidates.insert(candidates.end(), jdk17.begin(), jdk17.end());
  }
  if (const char* h = std::getenv("JAVA_HOME"); h && *h) candidates.push_back(h);
  candidates.push_back("/usr/lib/jvm/default-java");
  for (const std::string& home : candidates) {
    if (IsFile(home + "/lib/server/libjvm.so")) return home;
  }
  return "";
}

std::string SelfDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

// barrage-script.jar: $BARRAGE_SCRIPT_JAR, beside an installed binary, or the build's.
std::string FindSupportJar() {
  if (const char* j = std::getenv("BARRAGE_SCRIPT_JAR"); j && *j) return j;
  const std::string self = SelfDir();
  for (const std::string& p : {self + "/../share/barrage/barrage-script.jar", std::string(BARRAGE_SCRIPT_JAR_BUILD)}) {
    if (IsFile(p)) return p;
  }
  return "";
}

// ---- strings: Barrage's are UTF-8 bytes, Java's UTF-16 ----

// ASCII without NUL reads the same in UTF-8 and in JNI's modified UTF-8.
bool PlainAscii(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) - 1u >= 0x7Fu) return false;  // 0 or >= 0x80
  }
  return true;
}

jstring ToJava(JNIEnv* env, const std::string& s) {
  // Most strings a script gets (labels, codes, headers, JSON bodies) are ASCII: the JVM makes
  // those from the bytes directly (a Latin-1 String), without a UTF-16 copy.
  if (PlainAscii(s)) return env->NewStringUTF(s.c_str());
  std::u16string u;
  u.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    size_t len = Utf8SequenceLength(lead);
    uint32_t cp = 0xFFFD;
    if (len == 1) {
      cp = lead;
    } else if (len > 1 && i + len <= s.size()) {
      cp = lead & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) {
          cp = 0xFFFD;
          len = k;
          break;
        }
        cp = (cp << 6) | (c & 0x3F);
      }
    } else {
      len = 1;
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      u.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      u.push_back(static_cast<char16_t>(cp));
    }
  }
  return env->NewString(reinterpret_cast<const jchar*>(u.data()), static_cast<jsize>(u.size()));
}

std::string FromJava(JNIEnv* env, jstring s) {
  std::string out;
  if (s == nullptr) return out;
  const jsize n = env->GetStringLength(s);
  if (env->GetStringUTFLength(s) == n) {     // every char is 1..0x7F: modified UTF-8 is the ASCII
    out.resize(static_cast<size_t>(n) + 1);  // GetStringUTFRegion ends what it writes with a NUL
    env->GetStringUTFRegion(s, 0, n, out.data());
    out.resize(static_cast<size_t>(n));
    return out;
  }
  std::u16string u(static_cast<size_t>(n), u'\0');
  env->GetStringRegion(s, 0, n, reinterpret_cast<jchar*>(u.data()));
  out.reserve(u.size());
  for (size_t i = 0; i < u.size(); ++i) {
    uint32_t cp = u[i];
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < u.size() && u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (u[i + 1] - 0xDC00);
      ++i;
    }
    AppendUtf8(cp, &out);
  }
  return out;
}

std::optional<std::string> FromJavaOpt(JNIEnv* env, jstring s) {
  if (s == nullptr) return std::nullopt;
  return FromJava(env, s);
}

jbyteArray Bytes(JNIEnv* env, std::string_view s) {
  jbyteArray a = env->NewByteArray(static_cast<jsize>(s.size()));
  env->SetByteArrayRegion(a, 0, static_cast<jsize>(s.size()), reinterpret_cast<const jbyte*>(s.data()));
  return a;
}

std::string FromBytes(JNIEnv* env, jbyteArray a) {
  std::string out;
  if (a == nullptr) return out;
  out.resize(static_cast<size_t>(env->GetArrayLength(a)));
  env->GetByteArrayRegion(a, 0, static_cast<jsize>(out.size()), reinterpret_cast<jbyte*>(out.data()));
  return out;
}

// Describes and clears a pending Java exception: its toString().
std::string TakeException(JNIEnv* env) {
  jthrowable t = env->ExceptionOccurred();
  if (t == nullptr) return "";
  env->ExceptionClear();
  jclass object = env->FindClass("java/lang/Object");
  jmethodID to_string = env->GetMethodID(object, "toString", "()Ljava/lang/String;");
  auto text = static_cast<jstring>(env->CallObjectMethod(t, to_string));
  std::string out = env->ExceptionCheck() ? "(exception)" : FromJava(env, text);
  env->ExceptionClear();
  return out;
}

std::atomic<Properties*> g_properties{nullptr};

// ---- natives (barrage.script.Native) ----

jobjectArray Entries(JNIEnv* env, const std::map<std::string, std::string>& m) {
  jclass string_class = env->FindClass("java/lang/String");
  jobjectArray a = env->NewObjectArray(static_cast<jsize>(m.size() * 2), string_class, nullptr);
  jsize i = 0;
  for (const auto& [k, v] : m) {
    jstring jk = ToJava(env, k), jv = ToJava(env, v);
    env->SetObjectArrayElement(a, i++, jk);
    env->SetObjectArrayElement(a, i++, jv);
    env->DeleteLocalRef(jk);
    env->DeleteLocalRef(jv);
  }
  return a;
}

jobjectArray Strings(JNIEnv* env, const std::vector<std::string>& v) {
  jclass string_class = env->FindClass("java/lang/String");
  jobjectArray a = env->NewObjectArray(static_cast<jsize>(v.size()), string_class, nullptr);
  for (size_t i = 0; i < v.size(); ++i) {
    jstring s = ToJava(env, v[i]);
    env->SetObjectArrayElement(a, static_cast<jsize>(i), s);
    env->DeleteLocalRef(s);
  }
  return a;
}

std::vector<std::string> FromStrings(JNIEnv* env, jobjectArray a) {
  std::vector<std::string> out;
  if (a == nullptr) return out;
  const jsize n = env->GetArrayLength(a);
  out.reserve(static_cast<size_t>(n));
  for (jsize i = 0; i < n; ++i) {
    auto s = static_cast<jstring>(env->GetObjectArrayElement(a, i));
    out.push_back(FromJava(env, s));
    env->DeleteLocalRef(s);
  }
  return out;
}

std::vector<std::string> Flatten(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::string> out;
  out.reserve(pairs.size() * 2);
  for (const auto& [k, v] : pairs) {
    out.push_back(k);
    out.push_back(v);
  }
  return out;
}

// What HTTPSamplerBase.barrageState() flattened: the five fields, a count and that many
// argument pairs, a count and that many added headers, then the names removed.
void ReadSamplerState(const std::vector<std::string>& st, HttpSamplerView* v) {
  if (st.size() < 5) return;
  v->protocol = st[0];
  v->domain = st[1];
  v->port = st[2];
  v->path = st[3];
  v->method = st[4];
  size_t at = 5;
  auto pairs = [&](std::vector<std::pair<std::string, std::string>>* out) {
    out->clear();
    if (at >= st.size()) return;
    const size_t n = static_cast<size_t>(std::stoul(st[at++]));
    for (size_t i = 0; i < n && at + 1 < st.size(); ++i, at += 2) out->emplace_back(st[at], st[at + 1]);
  };
  pairs(&v->arguments);
  pairs(&v->added_headers);
  v->removed_headers.assign(st.begin() + static_cast<std::ptrdiff_t>(std::min(at, st.size())), st.end());
}

jstring JNICALL VarGet(JNIEnv* env, jclass, jlong user, jstring name) {
  const std::string* v = reinterpret_cast<Variables*>(user)->Get(FromJava(env, name));
  return v ? ToJava(env, *v) : nullptr;
}
void JNICALL VarPut(JNIEnv* env, jclass, jlong user, jstring name, jstring value) {
  reinterpret_cast<Variables*>(user)->Put(FromJava(env, name), FromJava(env, value));
}
void JNICALL VarRemove(JNIEnv* env, jclass, jlong user, jstring name) {
  reinterpret_cast<Variables*>(user)->Remove(FromJava(env, name));
}
jobjectArray JNICALL VarEntries(JNIEnv* env, jclass, jlong user) {
  return Entries(env, reinterpret_cast<Variables*>(user)->Sorted());
}
jstring JNICALL PropGet(JNIEnv* env, jclass, jstring name) {
  Properties* p = g_properties.load();
  if (p == nullptr) return nullptr;
  std::optional<std::string> v = p->Get(FromJava(env, name));
  return v ? ToJava(env, *v) : nullptr;
}
void JNICALL PropPut(JNIEnv* env, jclass, jstring name, jstring value) {
  if (Properties* p = g_properties.load()) p->Set(FromJava(env, name), FromJava(env, value));
}
void JNICALL PropRemove(JNIEnv* env, jclass, jstring name) {
  if (Properties* p = g_properties.load()) p->Remove(FromJava(env, name));
}
jobjectArray JNICALL PropEntries(JNIEnv* env, jclass) {
  Properties* p = g_properties.load();
  return Entries(env, p ? p->Snapshot() : std::map<std::string, std::string>());
}
void JNICALL Log(JNIEnv* env, jclass, jint level, jstring logger, jstring message) {
  const std::string name = FromJava(env, logger), text = FromJava(env, message);
  switch (level) {
    case 0: spdlog::debug("{}: {}", name, text); break;
    case 1: spdlog::info("{}: {}", name, text); break;
    case 2: spdlog::warn("{}: {}", name, text); break;
    default: spdlog::error("{}: {}", name, text); break;
  }
}

}  // namespace

// ---- what is installed ----

ScriptRuntime FindScriptRuntime() {
  ScriptRuntime r;
  r.java_home = FindJavaHome();
  if (r.java_home.empty()) r.missing.push_back("a Java 17 runtime (Debian package openjdk-17-jre-headless)");
  if (FindSupportJar().empty()) r.missing.push_back("barrage-script.jar (part of barrage's build or package)");
  for (const InterpreterJar& j : kJars) {
    if (IsFile(j.path)) {
      if (*j.language) r.languages.push_back(j.language);
    } else {
      r.missing.push_back(std::string(j.path) + " (Debian package " + j.package + ")");
    }
  }
  return r;
}

// ---- the host ----

class ScriptHost::Impl {
 public:
  JavaVM* vm = nullptr;
  jclass host_class = nullptr;  // global refs
  jclass outcome_class = nullptr;
  jclass sample_class = nullptr;
  jclass assertion_class = nullptr;
  jclass thread_class = nullptr;
  jmethodID compile = nullptr, new_user = nullptr, call = nullptr, make_sample = nullptr;
  jmethodID http_sampler = nullptr, sampler_state = nullptr, adopt_thread = nullptr;
  jmethodID heap_used = nullptr, heap_max = nullptr, current_thread = nullptr, interrupt = nullptr, stop = nullptr;
  jmethodID assertion_ctor = nullptr, sample_add_sub = nullptr, sample_changes = nullptr;
  jfieldID out_value = nullptr, out_error = nullptr, out_restart = nullptr;
  jfieldID s_label = nullptr, s_code = nullptr, s_message = nullptr, s_success = nullptr, s_data = nullptr,
           s_content_type = nullptr, s_data_type = nullptr, s_start = nullptr, s_end = nullptr,
           s_elapsed_nanos = nullptr, s_latency = nullptr, s_connect = nullptr, s_response_headers = nullptr;
  jfieldID a_failure = nullptr, a_error = nullptr, a_message = nullptr;
  std::string version;
  ScriptHostOptions options;

  // Every thread attached to the JVM (host threads and loops calling CallNow): its
  // java.lang.Thread, made once, and the call it runs (for StopRunningCalls). `current` and
  // `stop_asked` change under `mu`.
  struct Attached {
    JavaVM* vm = nullptr;
    JNIEnv* env = nullptr;
    jobject thread = nullptr;  // global ref
    ScriptCall* current = nullptr;
    bool stop_asked = false;
    Impl* host = nullptr;
    ~Attached() {  // the thread ends: it leaves the JVM
      if (!vm) return;
      if (host) host->Forget(this);
      if (thread) env->DeleteGlobalRef(thread);
      vm->DetachCurrentThread();
    }
  };

  std::mutex mu;
  std::condition_variable wake;          // a call was queued (host threads wait on it)
  std::condition_variable grower_tick;   // the grower's own wait (never notified)
  std::condition_variable none_running;  // the last running call ended
  struct Queued {
    ScriptCall* call;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<Queued> queue;
  int threads = 0;  // host threads
  int idle = 0;     // host threads waiting for a call
  int busy = 0;     // calls running anywhere
  int core_threads = 2;
  bool grower_started = false;
  std::vector<Attached*> attached;

  // This thread's attachment (made at its first use); null when it cannot attach.
  // `name`: the java.lang.Thread's name when this thread attaches now: "barrage-script" for
  // host threads, "barrage-loop" for the engine's loops (quick scripts, script functions).
  Attached* Self(const char* name = "barrage-loop") {
    thread_local Attached a;
    if (a.env == nullptr) {
      JavaVMAttachArgs args{JNI_VERSION_10, const_cast<char*>(name), nullptr};
      if (vm->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&a.env), &args) != JNI_OK) return nullptr;
      a.vm = vm;
      a.thread = a.env->NewGlobalRef(a.env->CallStaticObjectMethod(thread_class, current_thread));
      a.env->CallStaticVoidMethod(host_class, adopt_thread);
      a.env->ExceptionClear();
      a.host = this;
      std::lock_guard lock(mu);
      attached.push_back(&a);
    }
    return &a;
  }
  JNIEnv* Env() {
    Attached* a = Self();
    return a ? a->env : nullptr;
  }
  void Forget(Attached* a) {
    std::lock_guard lock(mu);
    std::erase(attached, a);
  }
  // Under `mu`: `a` starts / ends running `c`.
  void Begin(Attached* a, ScriptCall* c) {
    a->current = c;
    a->stop_asked = false;
    ++busy;
  }
  void End(Attached* a) {
    a->current = nullptr;
    if (--busy == 0) none_running.notify_all();
  }
  void SpawnThread();  // under `mu`
  void GrowerMain();

  void Run(Attached* a, ScriptCall* c);
  jobject MakeSample(JNIEnv* env, const SampleResult& r);
  void ReadSample(JNIEnv* env, jobject js, SampleResult* r, bool timing, int64_t* elapsed_us);
  void ThreadMain();
};

namespace {

Status Describe(JNIEnv* env, const std::string& what) {
  std::string e = TakeException(env);
  return Status::IoError("script host: " + what + (e.empty() ? "" : ": " + e));
}

Result<std::unique_ptr<ScriptHost::Impl>> StartJvm(const ScriptHostOptions& options) {
  ScriptRuntime rt = FindScriptRuntime();
  if (rt.java_home.empty()) {
    return Status::Unsupported("scripts need a Java 17 runtime: install the Debian package openjdk-17-jre-headless");
  }
  const std::string jar = FindSupportJar();
  if (jar.empty()) return Status::Unsupported("scripts need barrage-script.jar, which this installation lacks");
  std::string class_path = "-Djava.class.path=" + jar;
  for (const InterpreterJar& j : kJars) {
    if (IsFile(j.path)) class_path += std::string(":") + j.path;
  }
  if (const char* extra = std::getenv("BARRAGE_SCRIPT_CLASSPATH"); extra && *extra)
    class_path += ":" + std::string(extra);
  const std::string libjvm = rt.java_home + "/lib/server/libjvm.so";
  void* lib = dlopen(libjvm.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (lib == nullptr) return Status::IoError("script host: cannot load " + libjvm + ": " + dlerror());
  using CreateFn = jint (*)(JavaVM**, void**, void*);
  auto create = reinterpret_cast<CreateFn>(dlsym(lib, "JNI_CreateJavaVM"));
  if (create == nullptr) return Status::IoError("script host: " + libjvm + " has no JNI_CreateJavaVM");

  const std::string heap = "-Xmx" + std::to_string(options.max_heap_mb) + "m";
  std::vector<std::string> opts = {
      class_path,        heap, "-Xms16m", "-Xrs", "-Djava.awt.headless=true", "-Xss2m", "-XX:+UseSerialGC",
      "-XX:-UsePerfData"};
  std::vector<JavaVMOption> jopts(opts.size());
  for (size_t i = 0; i < opts.size(); ++i) jopts[i].optionString = opts[i].data();
  JavaVMInitArgs args{JNI_VERSION_10, static_cast<jint>(jopts.size()), jopts.data(), JNI_FALSE};
  auto impl = std::make_unique<ScriptHost::Impl>();
  impl->options = options;
  JNIEnv* env = nullptr;
  if (create(&impl->vm, reinterpret_cast<void**>(&env), &args) != JNI_OK) {
    return Status::IoError("script host: the JVM in " + rt.java_home + " did not start");
  }
  auto global_class = [&](const char* name) -> jclass {
    jclass local = env->FindClass(name);
    if (local == nullptr) return nullptr;
    auto g = static_cast<jclass>(env->NewGlobalRef(local));
    env->DeleteLocalRef(local);
    return g;
  };
  ScriptHost::Impl& h = *impl;
  h.host_class = global_class("barrage/script/Host");
  h.outcome_class = global_class("barrage/script/Host$Outcome");
  h.sample_class = global_class("org/apache/jmeter/samplers/SampleResult");
  h.assertion_class = global_class("org/apache/jmeter/assertions/AssertionResult");
  h.thread_class = global_class("java/lang/Thread");
  jclass native_class = env->FindClass("barrage/script/Native");
  if (!h.host_class || !h.outcome_class || !h.sample_class || !h.assertion_class || !h.thread_class || !native_class) {
    return Describe(env, jar + " lacks a class");
  }
  const JNINativeMethod natives[] = {
      {const_cast<char*>("varGet"), const_cast<char*>("(JLjava/lang/String;)Ljava/lang/String;"),
       reinterpret_cast<void*>(&VarGet)},
      {const_cast<char*>("varPut"), const_cast<char*>("(JLjava/lang/String;Ljava/lang/String;)V"),
       reinterpret_cast<void*>(&VarPut)},
      {const_cast<char*>("varRemove"), const_cast<char*>("(JLjava/lang/String;)V"),
       reinterpret_cast<void*>(&VarRemove)},
      {const_cast<char*>("varEntries"), const_cast<char*>("(J)[Ljava/lang/String;"),
       reinterpret_cast<void*>(&VarEntries)},
      {const_cast<char*>("propGet"), const_cast<char*>("(Ljava/lang/String;)Ljava/lang/String;"),
       reinterpret_cast<void*>(&PropGet)},
      {const_cast<char*>("propPut"), const_cast<char*>("(Ljava/lang/String;Ljava/lang/String;)V"),
       reinterpret_cast<void*>(&PropPut)},
      {const_cast<char*>("propRemove"), const_cast<char*>("(Ljava/lang/String;)V"),
       reinterpret_cast<void*>(&PropRemove)},
      {const_cast<char*>("propEntries"), const_cast<char*>("()[Ljava/lang/String;"),
       reinterpret_cast<void*>(&PropEntries)},
      {const_cast<char*>("log"), const_cast<char*>("(ILjava/lang/String;Ljava/lang/String;)V"),
       reinterpret_cast<void*>(&Log)},
  };
  if (env->RegisterNatives(native_class, natives, static_cast<jint>(std::size(natives))) != JNI_OK) {
    return Describe(env, "cannot register natives");
  }
  h.compile = env->GetStaticMethodID(
      h.host_class, "compile",
      "(IILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Z)Lbarrage/script/Host$Script;");
  h.new_user = env->GetStaticMethodID(h.host_class, "newUser",
                                      "(JILjava/lang/String;Ljava/lang/String;I)Lbarrage/script/Host$User;");
  h.call =
      env->GetStaticMethodID(h.host_class, "call",
                             "(Lbarrage/script/Host$Script;Lbarrage/script/Host$User;Lorg/apache/jmeter/samplers/"
                             "SampleResult;Lorg/apache/jmeter/samplers/SampleResult;Lorg/apache/jmeter/assertions/"
                             "AssertionResult;Ljava/lang/Object;Ljava/lang/String;Ljava/lang/String;I)Lbarrage/script/"
                             "Host$Outcome;");
  h.http_sampler = env->GetStaticMethodID(
      h.host_class, "httpSampler",
      "(Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;)Ljava/lang/Object;");
  h.sampler_state = env->GetStaticMethodID(h.host_class, "samplerState", "(Ljava/lang/Object;)[Ljava/lang/String;");
  h.adopt_thread = env->GetStaticMethodID(h.host_class, "adoptThread", "()V");
  h.make_sample = env->GetStaticMethodID(
      h.host_class, "sample",
      "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Z[BLjava/lang/String;Ljava/lang/String;Ljava/lang/"
      "String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJJJJJ)Lorg/apache/jmeter/samplers/SampleResult;");
  h.heap_used = env->GetStaticMethodID(h.host_class, "heapUsed", "()J");
  h.heap_max = env->GetStaticMethodID(h.host_class, "heapMax", "()J");
  jmethodID version = env->GetStaticMethodID(h.host_class, "version", "()Ljava/lang/String;");
  h.current_thread = env->GetStaticMethodID(h.thread_class, "currentThread", "()Ljava/lang/Thread;");
  h.interrupt = env->GetMethodID(h.thread_class, "interrupt", "()V");
  h.stop = env->GetMethodID(h.thread_class, "stop", "()V");
  h.assertion_ctor = env->GetMethodID(h.assertion_class, "<init>", "(Ljava/lang/String;)V");
  h.sample_add_sub = env->GetMethodID(h.sample_class, "addSubResult", "(Lorg/apache/jmeter/samplers/SampleResult;)V");
  h.sample_changes = env->GetMethodID(h.sample_class, "barrageChanges", "()I");
  h.out_value = env->GetFieldID(h.outcome_class, "value", "Ljava/lang/String;");
  h.out_error = env->GetFieldID(h.outcome_class, "error", "Ljava/lang/String;");
  h.out_restart = env->GetFieldID(h.outcome_class, "restartNextLoop", "Z");
  jclass s = h.sample_class;
  h.s_label = env->GetFieldID(s, "sampleLabel", "Ljava/lang/String;");
  h.s_code = env->GetFieldID(s, "responseCode", "Ljava/lang/String;");
  h.s_message = env->GetFieldID(s, "responseMessage", "Ljava/lang/String;");
  h.s_success = env->GetFieldID(s, "success", "Z");
  h.s_data = env->GetFieldID(s, "responseData", "[B");
  h.s_content_type = env->GetFieldID(s, "contentType", "Ljava/lang/String;");
  h.s_data_type = env->GetFieldID(s, "dataType", "Ljava/lang/String;");
  h.s_response_headers = env->GetFieldID(s, "responseHeaders", "Ljava/lang/String;");
  h.s_start = env->GetFieldID(s, "startTime", "J");
  h.s_end = env->GetFieldID(s, "endTime", "J");
  h.s_elapsed_nanos = env->GetFieldID(s, "elapsedNanos", "J");
  h.s_latency = env->GetFieldID(s, "latency", "J");
  h.s_connect = env->GetFieldID(s, "connectTime", "J");
  h.a_failure = env->GetFieldID(h.assertion_class, "failure", "Z");
  h.a_error = env->GetFieldID(h.assertion_class, "error", "Z");
  h.a_message = env->GetFieldID(h.assertion_class, "failureMessage", "Ljava/lang/String;");
  if (env->ExceptionCheck() || !h.compile || !h.new_user || !h.call || !h.make_sample || !version || !h.http_sampler ||
      !h.sampler_state || !h.adopt_thread || !h.sample_add_sub || !h.sample_changes) {
    return Describe(env, jar + " does not match this barrage");
  }
  h.version = FromJava(env, static_cast<jstring>(env->CallStaticObjectMethod(h.host_class, version)));
  env->ExceptionClear();
  h.core_threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  spdlog::info("script host: {} started from {} (heap cap {} MiB)", h.version, rt.java_home, options.max_heap_mb);
  // JNI_CreateJavaVM attached the creating thread, which may be short-lived (a worker
  // prepares a run on its own thread) and must not end attached: it leaves now, and
  // attaches again through Self() if it ever calls a script.
  impl->vm->DetachCurrentThread();
  return impl;
}

}  // namespace

ScriptHost::ScriptHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<ScriptHost*> ScriptHost::Get(const ScriptHostOptions& options) {
  static std::mutex mu;
  static ScriptHost* host = nullptr;
  static std::optional<Status> failed;
  std::lock_guard lock(mu);
  if (host) return host;
  if (failed) return *failed;
  Result<std::unique_ptr<Impl>> impl = StartJvm(options);
  if (!impl.ok()) {
    failed = impl.status();
    return *failed;
  }
  host = new ScriptHost(std::move(*impl));  // lives until exit: a JVM cannot start twice
  return host;
}

void ScriptHost::SetProperties(Properties* properties) { g_properties.store(properties); }

CompiledScript::~CompiledScript() {
  Result<ScriptHost*> host = ScriptHost::Get();
  if (host.ok()) (*host)->Release(ref_);
}

ScriptUser::~ScriptUser() {
  Result<ScriptHost*> host = ScriptHost::Get();
  if (host.ok()) (*host)->Release(ref_);
}

void ScriptHost::Release(void* ref) {
  if (JNIEnv* env = impl_->Env(); env && ref) env->DeleteGlobalRef(static_cast<jobject>(ref));
}

Result<std::unique_ptr<CompiledScript>> ScriptHost::Compile(ScriptRole role, ScriptFlavour flavour,
                                                            const std::string& language, const std::string& name,
                                                            const std::string& file_name, const std::string& source,
                                                            bool cached) {
  JNIEnv* env = impl_->Env();
  if (env == nullptr) return Status::IoError("script host: cannot attach a thread to the JVM");
  env->PushLocalFrame(16);
  jobject s = env->CallStaticObjectMethod(impl_->host_class, impl_->compile, static_cast<jint>(role),
                                          static_cast<jint>(flavour), ToJava(env, language), ToJava(env, name),
                                          ToJava(env, file_name), ToJava(env, source), static_cast<jboolean>(cached));
  if (s == nullptr || env->ExceptionCheck()) {
    std::string e = TakeException(env);
    env->PopLocalFrame(nullptr);
    return Status::InvalidArgument(e);
  }
  jobject g = env->NewGlobalRef(s);
  env->PopLocalFrame(nullptr);
  return std::unique_ptr<CompiledScript>(new CompiledScript(role, g));
}

Result<std::unique_ptr<ScriptUser>> ScriptHost::NewUser(Variables* vars, int thread_num, const std::string& thread_name,
                                                        const std::string& group_name, int group_threads) {
  JNIEnv* env = impl_->Env();
  if (env == nullptr) return Status::IoError("script host: cannot attach a thread to the JVM");
  env->PushLocalFrame(8);
  jobject u = env->CallStaticObjectMethod(impl_->host_class, impl_->new_user, reinterpret_cast<jlong>(vars),
                                          static_cast<jint>(thread_num), ToJava(env, thread_name),
                                          ToJava(env, group_name), static_cast<jint>(group_threads));
  if (u == nullptr || env->ExceptionCheck()) {
    std::string e = TakeException(env);
    env->PopLocalFrame(nullptr);
    return Status::IoError("script host: " + e);
  }
  jobject g = env->NewGlobalRef(u);
  env->PopLocalFrame(nullptr);
  return std::unique_ptr<ScriptUser>(new ScriptUser(g));
}

jobject ScriptHost::Impl::MakeSample(JNIEnv* env, const SampleResult& r) {
  const Sample& s = r.sample;
  env->PushLocalFrame(16);
  jobject js = env->CallStaticObjectMethod(
      host_class, make_sample, ToJava(env, s.label), ToJava(env, s.response_code), ToJava(env, s.response_message),
      static_cast<jboolean>(s.success), Bytes(env, r.body), ToJava(env, r.content_type), ToJava(env, s.data_type),
      ToJava(env, r.response_headers), ToJava(env, r.request_headers), ToJava(env, s.url), ToJava(env, s.thread_name),
      static_cast<jlong>(s.timestamp_ms), static_cast<jlong>(s.elapsed_us / 1000),
      static_cast<jlong>(s.latency_us / 1000), static_cast<jlong>(s.connect_us / 1000), static_cast<jlong>(s.bytes),
      static_cast<jlong>(s.sent_bytes));
  // Sub-results (redirects followed, a transaction's samples): read access, as prev.getSubResults().
  for (const SampleResult& sub : r.sub_results) {
    if (js == nullptr || env->ExceptionCheck()) break;
    jobject child = MakeSample(env, sub);
    env->CallVoidMethod(js, sample_add_sub, child);
    env->DeleteLocalRef(child);
  }
  return env->PopLocalFrame(js);
}

void ScriptHost::Impl::ReadSample(JNIEnv* env, jobject js, SampleResult* r, bool timing, int64_t* elapsed_us) {
  Sample& s = r->sample;
  // Only the fields the script set (SampleResult.barrageChanges' bits); the response data
  // also when the script wrote into the array it got.
  const jint changed = env->CallIntMethod(js, sample_changes);
  auto text = [&](jint bit, jfieldID field, std::string* out) {
    if (changed & bit) *out = FromJava(env, static_cast<jstring>(env->GetObjectField(js, field)));
  };
  text(1, s_label, &s.label);
  text(2, s_code, &s.response_code);
  text(4, s_message, &s.response_message);
  if (changed & 8) s.success = env->GetBooleanField(js, s_success);
  auto data = static_cast<jbyteArray>(env->GetObjectField(js, s_data));
  if (changed & 16) {
    r->body = FromBytes(env, data);
  } else if (data != nullptr && !r->body.empty()) {
    void* bytes = env->GetPrimitiveArrayCritical(data, nullptr);
    const bool same = bytes != nullptr && std::memcmp(bytes, r->body.data(), r->body.size()) == 0;
    if (bytes != nullptr) env->ReleasePrimitiveArrayCritical(data, bytes, JNI_ABORT);
    if (!same) r->body = FromBytes(env, data);
  }
  text(32, s_content_type, &r->content_type);
  text(64, s_data_type, &s.data_type);
  text(128, s_response_headers, &r->response_headers);
  if (timing) {
    s.timestamp_ms = env->GetLongField(js, s_start);
    const jlong nanos = env->GetLongField(js, s_elapsed_nanos);
    *elapsed_us = nanos >= 0 ? nanos / 1000 : (env->GetLongField(js, s_end) - s.timestamp_ms) * 1000;
    s.latency_us = env->GetLongField(js, s_latency) * 1000;
    s.connect_us = env->GetLongField(js, s_connect) * 1000;
  }
}

void ScriptHost::Impl::Run(Attached* a, ScriptCall* c) {
  if (c->script == nullptr || c->user == nullptr) {
    c->ok = false;
    c->error = "script host: a call without a script or user";
    return;
  }
  const int64_t start_us = MonotonicMicros();
  JNIEnv* env = a->env;
  env->PushLocalFrame(64);
  const ScriptRole role = c->script->role();
  jobject prev = c->prev ? MakeSample(env, *c->prev) : nullptr;
  jobject current = nullptr;
  if (c->current) {
    current = MakeSample(env, *c->current);
  }
  jobject assertion = nullptr;
  if (role == ScriptRole::kAssertion) {
    assertion = env->NewObject(assertion_class, assertion_ctor, ToJava(env, c->assertion.name));
  }
  // `sampler`: an HTTP Request's view, or (null) Host.call makes one of the name.
  jstring sampler_name = ToJava(env, c->sampler_name);
  jobject sampler = nullptr;
  if (HttpSamplerView* v = c->http_sampler) {
    sampler = env->CallStaticObjectMethod(
        host_class, http_sampler, sampler_name, Strings(env, {v->protocol, v->domain, v->port, v->path, v->method}),
        Strings(env, Flatten(v->arguments)), v->has_header_manager ? Strings(env, Flatten(v->headers)) : nullptr);
  }
  jstring parameters = c->parameters.empty() ? nullptr : ToJava(env, c->parameters);  // null: ""
  auto invoke = [&] {
    return env->CallStaticObjectMethod(host_class, call, static_cast<jobject>(c->script->ref_),
                                       static_cast<jobject>(c->user->ref_), prev, current, assertion, sampler,
                                       sampler_name, parameters, static_cast<jint>(c->iteration));
  };
  jobject outcome = invoke();
  if (env->ExceptionCheck()) {
    // Thread.stop is asynchronous: a stop meant for this thread's previous call can arrive
    // as this one starts. Such a call runs again (once); one asked to stop does not.
    bool stop_asked;
    {
      std::lock_guard lock(mu);
      stop_asked = a->stop_asked;
    }
    if (!stop_asked) {
      env->ExceptionClear();
      outcome = invoke();
    }
  }
  if (outcome == nullptr || env->ExceptionCheck()) {
    c->ok = false;
    c->error = TakeException(env);
  } else {
    auto error = static_cast<jstring>(env->GetObjectField(outcome, out_error));
    c->ok = error == nullptr;
    c->error = FromJava(env, error);
    c->value = FromJavaOpt(env, static_cast<jstring>(env->GetObjectField(outcome, out_value)));
    c->restart_next_loop = env->GetBooleanField(outcome, out_restart);
    if (prev && role != ScriptRole::kSampler && role != ScriptRole::kFunction) {
      int64_t unused = 0;
      ReadSample(env, prev, c->prev, false, &unused);
    }
    if (current) ReadSample(env, current, c->current, true, &c->elapsed_us);
    if (c->http_sampler && sampler) {
      ReadSamplerState(
          FromStrings(env, static_cast<jobjectArray>(env->CallStaticObjectMethod(host_class, sampler_state, sampler))),
          c->http_sampler);
    }
    if (assertion) {
      c->assertion.failure = env->GetBooleanField(assertion, a_failure);
      c->assertion.error = env->GetBooleanField(assertion, a_error);
      c->assertion.message = FromJava(env, static_cast<jstring>(env->GetObjectField(assertion, a_message)));
    }
  }
  env->ExceptionClear();
  env->PopLocalFrame(nullptr);
  c->script->RecordCall(MonotonicMicros() - start_us);
}

void ScriptHost::Impl::ThreadMain() {
  Attached* self = Self("barrage-script");
  std::unique_lock lock(mu);
  for (;;) {
    ++idle;
    wake.wait(lock, [&] { return !queue.empty(); });
    --idle;
    ScriptCall* c = queue.front().call;
    queue.pop_front();
    if (self) Begin(self, c);
    lock.unlock();
    if (self) {
      Run(self, c);
    } else {
      c->ok = false;
      c->error = "script host: cannot attach a thread to the JVM";
    }
    lock.lock();
    if (self) End(self);
    lock.unlock();
    c->callback->OnScriptDone(c);
    lock.lock();
  }
}

void ScriptHost::Impl::SpawnThread() {
  ++threads;
  std::thread([this] { ThreadMain(); }).detach();  // host threads live as long as the JVM
  if (!grower_started) {
    grower_started = true;
    std::thread([this] { GrowerMain(); }).detach();
  }
}

// Scripts that sleep or block hold their host thread: when a queued call has waited
// kGrowAfter with every host thread busy, one more thread starts (up to max_threads).
void ScriptHost::Impl::GrowerMain() {
  constexpr auto kGrowAfter = std::chrono::milliseconds(5);
  std::unique_lock lock(mu);
  for (;;) {
    grower_tick.wait_for(lock, kGrowAfter);
    if (queue.empty() || idle > 0 || threads >= options.max_threads) continue;
    if (std::chrono::steady_clock::now() - queue.front().at >= kGrowAfter) SpawnThread();
  }
}

void ScriptHost::Submit(ScriptCall* call) {
  Impl& h = *impl_;
  std::lock_guard lock(h.mu);
  h.queue.push_back({call, std::chrono::steady_clock::now()});
  if (h.idle > 0) {
    h.wake.notify_one();
  } else if (h.threads < h.core_threads) {
    h.SpawnThread();
  }
}

void ScriptHost::CallNow(ScriptCall* call) {
  Impl& h = *impl_;
  Impl::Attached* self = h.Self();
  if (self == nullptr) {
    call->ok = false;
    call->error = "script host: cannot attach a thread to the JVM";
    return;
  }
  {
    std::lock_guard lock(h.mu);
    h.Begin(self, call);
  }
  h.Run(self, call);
  std::lock_guard lock(h.mu);
  h.End(self);
}

void ScriptHost::StopRunningCalls(int grace_ms) {
  JNIEnv* env = impl_->Env();
  if (env == nullptr) return;
  auto each_running = [&](jmethodID method) {
    std::lock_guard lock(impl_->mu);
    for (Impl::Attached* a : impl_->attached) {
      if (a->current == nullptr) continue;
      a->stop_asked = true;
      env->CallVoidMethod(a->thread, method);
      env->ExceptionClear();
    }
    return impl_->busy > 0;
  };
  if (!each_running(impl_->interrupt)) return;
  {
    std::unique_lock lock(impl_->mu);
    if (impl_->none_running.wait_for(lock, std::chrono::milliseconds(grace_ms), [&] { return impl_->busy == 0; })) {
      return;
    }
  }
  each_running(impl_->stop);  // ThreadDeath: the script's call ends with ok false
}

int64_t ScriptHost::heap_used_bytes() {
  JNIEnv* env = impl_->Env();
  return env ? env->CallStaticLongMethod(impl_->host_class, impl_->heap_used) : 0;
}

int64_t ScriptHost::heap_max_bytes() {
  JNIEnv* env = impl_->Env();
  return env ? env->CallStaticLongMethod(impl_->host_class, impl_->heap_max) : 0;
}

std::string ScriptHost::version() const { return impl_->version; }

}  // namespace barrage
