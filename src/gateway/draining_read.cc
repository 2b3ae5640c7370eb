#include "gateway/draining_read.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include <boost/asio/error.hpp>

namespace k4ds {

bool enable_inq(int fd) noexcept {
#ifdef TCP_INQ
  const int on = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_INQ, &on, sizeof on) == 0;
#else
  (void)fd;
  return false;
#endif
}

namespace draining_detail {

bool recv_reporting_inq(int fd, void* data, std::size_t size, int flags, bool stream, boost::system::error_code& ec,
                        std::size_t& bytes, bool& drained) {
  drained = false;
  iovec iov{data, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  for (;;) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, flags);
    if (n >= 0) {
      bytes = static_cast<std::size_t>(n);
      ec = (n == 0 && stream) ? boost::system::error_code(boost::asio::error::eof) : boost::system::error_code();
#ifdef TCP_CM_INQ
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          int left = 0;
          std::memcpy(&left, CMSG_DATA(c), sizeof left);
          drained = left == 0;  // a received FIN counts as 1 byte left
        }
      }
#endif
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    ec = boost::system::error_code(errno, boost::asio::error::get_system_category());
    bytes = 0;
    return true;
  }
}

}  // namespace draining_detail
}  // namespace k4ds
