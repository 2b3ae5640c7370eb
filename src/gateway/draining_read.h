// DrainingRead: a buffer for socket.async_read_some() whose read tells the reactor when the
// socket has nothing more to give, so the next read on that socket waits for readiness instead
// of first trying a recv() that fails with EAGAIN.
//
// Why: Asio's epoll reactor tries every read at once ("speculatively") unless the last one
// reported the socket exhausted, and Boost 1.81 reports that only at end of stream. A proxy
// reads a socket, answers, and reads it again before the peer can have sent anything, so that
// first try fails on almost every request: on the gateway's benchmark it was 1.7 wasted
// system calls per request. nginx skips the same call by the same rule.
//
// How it knows: a short read alone does not prove the socket drained, because an end of
// stream that arrived with the last bytes raises no new readiness event (with edge-triggered
// epoll) and is only seen by the next read. So the read asks the kernel: with TCP_INQ on
// (enable_inq(), once per TCP socket), recvmsg() reports how much is left in the receive
// queue, and a pending FIN counts as something left. Only "nothing left" marks the socket
// exhausted; any later byte or FIN raises a new event, which re-enables the attempt.
//
// Contract
// - socket.async_read_some(DrainingRead(buffer), token) completes exactly as with `buffer`.
// - Without TCP_INQ (a Unix socket, an old kernel) reads behave as plain reads.
// - This specializes an Asio implementation detail, so it is compiled only for the Boost
//   version it was checked against (1.81, Debian 12) on Linux; elsewhere DrainingRead is an
//   ordinary buffer (correct, one extra system call per wait).
//
// Usage:
//   enable_inq(socket.native_handle());  // after connect/accept
//   auto [ec, n] = co_await socket.async_read_some(DrainingRead(buffer.prepare(4096)), token);
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/version.hpp>

namespace k4ds {

struct DrainingRead : boost::asio::mutable_buffer {
  explicit DrainingRead(boost::asio::mutable_buffer buffer) : boost::asio::mutable_buffer(buffer) {}
};

// Asks the kernel to report the bytes left after each read on this TCP socket. Best effort:
// false if the socket or kernel cannot (reads then stay plain).
bool enable_inq(int fd) noexcept;

}  // namespace k4ds

#if BOOST_VERSION == 108100 && defined(__linux__)
#include <boost/asio/socket_base.hpp>
#include <boost/asio/detail/reactive_socket_recv_op.hpp>

namespace k4ds::draining_detail {
// One recvmsg() into `data`; as Asio's non_blocking_recv1, plus `drained`: the kernel reported
// nothing left to read, not even an end of stream. False means "would block".
bool recv_reporting_inq(int fd, void* data, std::size_t size, int flags, bool stream, boost::system::error_code& ec,
                        std::size_t& bytes, bool& drained);
}  // namespace k4ds::draining_detail

namespace boost::asio::detail {

template <>
class reactive_socket_recv_op_base<k4ds::DrainingRead> : public reactor_op {
 public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket,
                               socket_ops::state_type state, const k4ds::DrainingRead& buffer,
                               socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
        socket_(socket),
        state_(state),
        buffer_(buffer),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    const bool stream = (o->state_ & socket_ops::stream_oriented) != 0;
    bool drained = false;
    if (!k4ds::draining_detail::recv_reporting_inq(o->socket_, o->buffer_.data(), o->buffer_.size(), o->flags_,
                                                   stream, o->ec_, o->bytes_transferred_, drained)) {
      return not_done;  // would block: the reactor waits for readiness
    }
    if (stream && o->bytes_transferred_ == 0) return done_and_exhausted;  // end of stream, as Asio does
    return drained ? done_and_exhausted : done;
  }

 private:
  socket_type socket_;
  socket_ops::state_type state_;
  k4ds::DrainingRead buffer_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
#endif
