// HTTPSampler.ipSource / ipSourceType: the local address an HTTP request's connection is bound
// to, as JMeter 2.13's HTTPAbstractImpl.getIpSourceAddress chooses it (checked in its
// bytecode): an empty (trimmed) value means none; type 0 (HOSTNAME) takes the value as a host
// (InetAddress.getByName); 1 (DEVICE) the first address of the named network interface, 2
// (DEVICE_IPV4) its first IPv4 address, 3 (DEVICE_IPV6) its first IPv6 one. Failures are
// java.net.UnknownHostException: "Cannot find interface <name>", "Interface <name> does not
// have address of type Inet4Address" (Inet6Address, InetAddress).
//
// Barrage resolves no host name here (it would block the event loop): a type-0 value must be
// an IPv4 or IPv6 literal, or "localhost" (127.0.0.1, as /etc/hosts says); another name fails
// the sample with an UnknownHostException that says so. Interfaces are read with getifaddrs
// (IPv4 addresses before IPv6 ones for type 1). Both HTTP paths bind the socket to the result
// before connecting (libcurl: CURLOPT_INTERFACE "host!<address>").
#ifndef BARRAGE_WORKER_SOURCE_ADDRESS_H_
#define BARRAGE_WORKER_SOURCE_ADDRESS_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

// The literal address ("" for an empty source), or InvalidArgument with the exception's
// message (the class is java.net.UnknownHostException).
Result<std::string> ResolveSourceAddress(std::string_view ip_source, int ip_source_type);

}  // namespace barrage

#endif  // BARRAGE_WORKER_SOURCE_ADDRESS_H_
