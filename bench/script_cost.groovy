// The work of bench/plans/script_json.jmx's PostProcessor alone, for bench/script_bench.sh: the
// same Groovy body (the response bytes as a String, JsonSlurper, two puts) over the same document
// in a loop in one warm JVM, with a HashMap for vars. No host, no bindings, no JNI: the floor of
// what a call can cost. Prints "calls N" and "us_per_call X" (this thread's CPU time).
//   groovy bench/script_cost.groovy DOCUMENT SECONDS
import groovy.json.JsonSlurper
import java.lang.management.ManagementFactory

byte[] body = new File(args[0]).bytes
long seconds = args[1] as long
Map<String, String> vars = new HashMap<>()

def call = {
  def json = new JsonSlurper().parseText(new String(body, 'UTF-8'))
  vars.put('orderId', String.valueOf(json.order.id))
  vars.put('token', json.session.token)
}

def cpu = ManagementFactory.threadMXBean
// Warm-up (the JIT compiles the parser and the call sites), as a load test's first seconds do.
long until = System.nanoTime() + 2_000_000_000L
while (System.nanoTime() < until) call()

long calls = 0
long cpu0 = cpu.currentThreadCpuTime
until = System.nanoTime() + seconds * 1_000_000_000L
while (System.nanoTime() < until) {
  for (int i = 0; i < 100; i++) call()
  calls += 100
}
long cpuNs = cpu.currentThreadCpuTime - cpu0
assert vars.orderId == '48213977'
println "calls $calls"
printf('us_per_call %.2f%n', cpuNs / 1000.0 / calls)
