#include "gateway/tunnel.h"

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "common/services.h"
#include "gateway/draining_read.h"

namespace k4ds {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One buffer per I/O thread, filled and written out between two suspensions, never held
// across one; allocated on first use so threads that never tunnel don't pay for it.
constexpr std::size_t kScratch = 64 * 1024;
char* scratch() {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer = std::make_unique<char[]>(kScratch);
  return buffer.get();
}
// Reads per readiness before waiting again, so one busy tunnel cannot starve its thread's others.
constexpr int kReadsPerWake = 4;
// What a waiting read can take at once, per direction: most WebSocket frames of a notebook
// (keystrokes, short kernel messages) fit; bigger ones continue in the per-thread buffer.
constexpr std::size_t kInline = 256;

bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

class Tunnel : public std::enable_shared_from_this<Tunnel> {
 public:
  using Clock = std::chrono::steady_clock;

  Tunnel(TunnelEnds ends, TunnelOptions options)
      : client_(std::move(ends.client)),
        upstream_(std::move(ends.upstream)),
        timer_(client_.get_executor()),
        idle_(options.idle),
        activity_(std::move(options.activity)),
        keep_(std::move(options.keep)) {
    pending_[kUp] = std::move(ends.from_client);
    pending_[kDown] = std::move(ends.from_upstream);
  }
  ~Tunnel() { keep_.reset(); }  // first: whoever holds `keep` stops using the client socket

  tcp::socket& client() { return client_; }

  void start() {
    boost::system::error_code ec;
    client_.non_blocking(true, ec);  // for the direct read_some/write_some in on_readable()
    if (!ec) upstream_.non_blocking(true, ec);
    if (ec) {
      // Ends on the executor, after start_tunnel() has returned (its caller uses client()).
      asio::post(client_.get_executor(), [self = shared_from_this()] { self->finish(); });
      return;
    }
    last_ = Clock::now();
    arm_timer();
    begin<kUp>();
    begin<kDown>();
  }

 private:
  enum Direction { kUp = 0, kDown = 1 };  // client → upstream, upstream → client

  template <Direction D>
  auto& from() {
    if constexpr (D == kUp) return client_; else return upstream_;
  }
  template <Direction D>
  auto& to() {
    if constexpr (D == kUp) return upstream_; else return client_;
  }

  template <Direction D>
  void begin() {
    if (pending_[D].empty()) {
      wait<D>();
    } else {
      write_pending<D>();
    }
  }

  // Waits for the next message with a read into the direction's small inline buffer: the read
  // that ends the wait also brings a typical message (one system call, where waiting for
  // readiness and then reading took two), and reports when the socket is drained so the next
  // wait tries no read in vain (draining_read.h).
  template <Direction D>
  void wait() {
    from<D>().async_read_some(DrainingRead(asio::buffer(inline_[D])),
                              [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                if (self->done_) return;
                                if (ec) return self->finish();  // the end of the stream included
                                if (!self->forward<D>(self->inline_[D].data(), n)) return;
                                // A full inline buffer: more may be waiting, read it at once.
                                if (n == kInline) return self->on_readable<D>();
                                self->wait<D>();
                              });
  }

  // Writes what was read to the other side; false if the tunnel ended or the rest must wait
  // for the peer (an asynchronous write then carries on).
  template <Direction D>
  bool forward(const char* data, std::size_t n) {
    touch();
    boost::system::error_code ec;
    std::size_t sent = to<D>().write_some(asio::buffer(data, n), ec);
    if (would_block(ec)) {
      sent = 0;
      ec = {};
    }
    if (ec) {
      finish();
      return false;
    }
    if (sent < n) {  // the peer is slow: keep the rest until it has taken it
      pending_[D].assign(data + sent, n - sent);
      write_pending<D>();
      return false;
    }
    return true;
  }

  template <Direction D>
  void on_readable() {
    char* buffer = scratch();
    for (int i = 0; i < kReadsPerWake; ++i) {
      boost::system::error_code ec;
      const std::size_t n = from<D>().read_some(asio::buffer(buffer, kScratch), ec);
      if (would_block(ec)) break;
      if (ec) return finish();  // the end of the stream included
      if (!forward<D>(buffer, n)) return;
      if (n < kScratch) break;  // drained
    }
    wait<D>();
  }

  template <Direction D>
  void write_pending() {
    asio::async_write(to<D>(), asio::buffer(pending_[D]),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (self->done_) return;
                        if (ec) return self->finish();
                        std::string().swap(self->pending_[D]);  // give the memory back while idle
                        self->wait<D>();
                      });
  }

  void touch() {
    last_ = Clock::now();
    if (activity_) activity_->touch(to_unix_ms(std::chrono::system_clock::now()));
  }

  // One timer for both directions, re-armed only when it fires: traffic costs a clock read.
  void arm_timer() {
    timer_.expires_at(last_ + idle_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->done_) return;
      if (Clock::now() - self->last_ >= self->idle_) return self->finish();
      self->arm_timer();
    });
  }

  void finish() {
    if (done_) return;
    done_ = true;
    boost::system::error_code ignored;
    client_.shutdown(tcp::socket::shutdown_both, ignored);
    client_.close(ignored);
    upstream_.shutdown(UpstreamSocket::shutdown_both, ignored);
    upstream_.close(ignored);
    timer_.cancel();
    // The pending operations end with operation_aborted; the last one releases this tunnel.
  }

  tcp::socket client_;
  UpstreamSocket upstream_;
  asio::steady_timer timer_;
  Clock::duration idle_;
  Clock::time_point last_{};
  std::shared_ptr<Activity> activity_;
  std::shared_ptr<void> keep_;
  std::string pending_[2];  // bytes read but not yet written, per direction
  std::array<char, kInline> inline_[2];  // the waiting read's buffer, per direction
  bool done_ = false;
};

}  // namespace

tcp::socket& start_tunnel(TunnelEnds ends, TunnelOptions options) {
  auto tunnel = std::make_shared<Tunnel>(std::move(ends), std::move(options));
  tunnel->start();
  return tunnel->client();
}

}  // namespace k4ds
