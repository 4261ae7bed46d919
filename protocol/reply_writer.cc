// RESP reply encoding: the less frequent reply kinds and the RESP3 -> RESP2 downgrades
// (the hot paths are inline in the header).
#include "protocol/reply_writer.h"

namespace strata::protocol {

void ReplyWriter::Error(std::string_view msg) {
  // Callers pass the line without '-', but a stray leading '-' must not become "--".
  if (!msg.empty() && msg[0] == '-') msg.remove_prefix(1);
  out_->EnsureWritable(msg.size() + 3);
  char* p = out_->WritePtr();
  p[0] = '-';
  for (size_t i = 0; i < msg.size(); i++) {
    char c = msg[i];
    p[i + 1] = (c == '\r' || c == '\n') ? ' ' : c;
  }
  p[msg.size() + 1] = '\r';
  p[msg.size() + 2] = '\n';
  out_->Commit(msg.size() + 3);
}

void ReplyWriter::NullBulk() {
  if (resp3_) {
    out_->Append("_\r\n", 3);
  } else {
    out_->Append("$-1\r\n", 5);
  }
}

void ReplyWriter::NullArray() {
  if (resp3_) {
    out_->Append("_\r\n", 3);
  } else {
    out_->Append("*-1\r\n", 5);
  }
}

void ReplyWriter::MapHeader(size_t pairs) {
  if (resp3_) {
    Header('%', pairs);
  } else {
    Header('*', static_cast<uint64_t>(pairs) * 2);
  }
}

void ReplyWriter::SetHeader(size_t n) { Header(resp3_ ? '~' : '*', n); }

void ReplyWriter::PushHeader(size_t n) { Header(resp3_ ? '>' : '*', n); }

void ReplyWriter::Double(double d) {
  char buf[kDoubleBufSize];
  size_t n = FormatDouble(d, buf);
  if (resp3_) {
    Line(',', std::string_view(buf, n));
  } else {
    Bulk(std::string_view(buf, n));
  }
}

void ReplyWriter::Bool(bool b) {
  if (resp3_) {
    out_->Append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->Append(b ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyWriter::Verbatim(std::string_view format3, std::string_view text) {
  if (!resp3_) return Bulk(text);
  // "=<len>\r\n<fmt>:<text>\r\n", the length covering "<fmt>:" too.
  size_t payload = format3.size() + 1 + text.size();
  out_->EnsureWritable(kHeaderRoom + payload + 2);
  char* p = out_->WritePtr();
  size_t k = WriteHeader(p, '=', payload);
  std::memcpy(p + k, format3.data(), format3.size());
  k += format3.size();
  p[k++] = ':';
  std::memcpy(p + k, text.data(), text.size());
  k += text.size();
  p[k] = '\r';
  p[k + 1] = '\n';
  out_->Commit(k + 2);
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (resp3_) {
    Line('(', digits);
  } else {
    Bulk(digits);
  }
}

}  // namespace strata::protocol
