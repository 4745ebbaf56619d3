// Thin N-API layer: argument checking, typed-array views (no copies), and
// conversion of results. All signal processing lives in the other files.
#include <napi.h>

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "codeword.h"
#include "detect.h"
#include "embed.h"
#include "fingerprint.h"
#include "relay.h"

namespace {

constexpr const char* kVersion = "vigil-wm 1.1.0 (tile16x16 pilot+conv(3,1,7)+mac24)";

const uint8_t* keyBytes(const Napi::Env& env, const Napi::Value& v) {
  if (!v.IsBuffer() && !v.IsTypedArray()) throw Napi::TypeError::New(env, "key must be a Buffer of 32 bytes");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  if (a.TypedArrayType() != napi_uint8_array || a.ByteLength() != 32)
    throw Napi::TypeError::New(env, "key must be a Buffer of 32 bytes");
  return a.Data();
}

int intField(const Napi::Env& env, const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

// Returns a pointer to the plane samples and checks that stride*height fits.
template <typename T>
T* planePtr(const Napi::Env& env, const Napi::Value& v, int width, int height, int stride, napi_typedarray_type want) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "plane must be a typed array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != want)
    throw Napi::TypeError::New(env, want == napi_uint8_array ? "8-bit plane must be a Uint8Array" : "10-bit plane must be a Uint16Array");
  if (stride < width) throw Napi::RangeError::New(env, "stride must be >= width");
  size_t need = static_cast<size_t>(stride) * (height - 1) + width;
  if (ta.ElementLength() < need) throw Napi::RangeError::New(env, "plane is smaller than stride*height");
  return reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
}

Napi::Object resultObject(const Napi::Env& env, const vigil::DetectResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("found", r.found);
  if (r.found) o.Set("payload", Napi::Number::New(env, static_cast<double>(r.payload)));
  o.Set("confidence", r.confidence);
  o.Set("falseAlarmProbability", r.falseAlarmProbability);
  o.Set("pilotZ", r.pilotZ);
  o.Set("dataZ", r.dataZ);
  o.Set("framesUsed", r.framesUsed);
  o.Set("framesWithMark", r.framesWithMark);
  o.Set("timeVarying", r.timeVarying);
  o.Set("signPhase", r.signPhase);
  o.Set("chipStart", r.chipStart);
  o.Set("syncZ", r.syncZ);
  o.Set("periodX", r.periodX);
  o.Set("periodY", r.periodY);
  o.Set("hypotheses", r.hypotheses);
  o.Set("mirroredX", r.mirroredX);
  o.Set("mirroredY", r.mirroredY);
  o.Set("rotation", r.rotation);
  Napi::Object area = Napi::Object::New(env);
  area.Set("x", r.activeX);
  area.Set("y", r.activeY);
  area.Set("width", r.activeWidth);
  area.Set("height", r.activeHeight);
  o.Set("activeArea", area);
  Napi::Array alignments = Napi::Array::New(env, r.alignmentSoft.size());
  for (size_t i = 0; i < r.alignmentSoft.size(); ++i) {
    Napi::Object a = Napi::Object::New(env);
    a.Set("pilotZ", r.alignmentZ[i]);
    Napi::Float32Array cells = Napi::Float32Array::New(env, r.alignmentSoft[i].size());
    std::memcpy(cells.Data(), r.alignmentSoft[i].data(), r.alignmentSoft[i].size() * sizeof(float));
    a.Set("cells", cells);
    alignments.Set(static_cast<uint32_t>(i), a);
  }
  o.Set("alignments", alignments);
  return o;
}

// tileChips(key, ids): { pilot: Float32Array(256), data: Float32Array(256 * ids.length) } (see codeword.h).
Napi::Value TileChips(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* key = keyBytes(env, info[0]);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "ids must be an array of watermark IDs");
  Napi::Array ids = info[1].As<Napi::Array>();
  Napi::Float32Array pilot = Napi::Float32Array::New(env, vigil::kTileCells);
  vigil::pilotChips(key, pilot.Data());
  Napi::Float32Array data = Napi::Float32Array::New(env, static_cast<size_t>(vigil::kTileCells) * ids.Length());
  for (uint32_t i = 0; i < ids.Length(); ++i) {
    Napi::Value v = ids.Get(i);
    double p = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(p >= 1 && p <= 4294967295.0) || p != static_cast<double>(static_cast<uint32_t>(p)))
      throw Napi::RangeError::New(env, "watermark IDs must be integers in 1..2^32-1");
    vigil::dataChips(key, static_cast<uint32_t>(p), data.Data() + static_cast<size_t>(i) * vigil::kTileCells);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("pilot", pilot);
  o.Set("data", data);
  return o;
}

// Per-environment data (the main thread and each worker load the addon separately).
struct AddonData {
  Napi::FunctionReference embedderClass;
};

class EmbedderWrap : public Napi::ObjectWrap<EmbedderWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Embedder", {InstanceMethod("embed", &EmbedderWrap::Embed)});
  }
  // The embedder behind `v`, which must be an Embedder made by this addon.
  static vigil::Embedder* from(const Napi::Env& env, const Napi::Value& v) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(env.GetInstanceData<AddonData>()->embedderClass.Value()))
      throw Napi::TypeError::New(env, "embedders must be Embedder objects or null");
    return Unwrap(v.As<Napi::Object>())->impl_.get();
  }
  explicit EmbedderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EmbedderWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options object required");
    Napi::Object o = info[0].As<Napi::Object>();
    const uint8_t* key = keyBytes(env, o.Get("key"));
    int w = intField(env, o, "width"), h = intField(env, o, "height"), d = intField(env, o, "bitDepth");
    Napi::Value pv = o.Get("payload");
    if (!pv.IsNumber()) throw Napi::TypeError::New(env, "payload must be a number");
    double p = pv.As<Napi::Number>().DoubleValue();
    if (!(p >= 1 && p <= 4294967295.0) || p != static_cast<double>(static_cast<uint32_t>(p)))
      throw Napi::RangeError::New(env, "payload must be an integer in 1..2^32-1");
    float strength = vigil::kDefaultStrength;
    Napi::Value sv = o.Get("strength");
    if (sv.IsNumber()) strength = sv.As<Napi::Number>().FloatValue();
    if (!(strength > 0 && strength <= 32)) throw Napi::RangeError::New(env, "strength must be in (0, 32]");
    int markVersion = vigil::kMarkVersionStatic;
    Napi::Value mv = o.Get("markVersion");
    if (mv.IsNumber()) markVersion = mv.As<Napi::Number>().Int32Value();
    try {
      impl_ = std::make_unique<vigil::Embedder>(key, w, h, d, static_cast<uint32_t>(p), strength, markVersion);
    } catch (const std::exception& e) {
      throw Napi::RangeError::New(env, e.what());
    }
  }

 private:
  Napi::Value Embed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int stride = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : impl_->width();
    if (impl_->bitDepth() == 8)
      impl_->embed8(planePtr<uint8_t>(env, info[0], impl_->width(), impl_->height(), stride, napi_uint8_array), stride);
    else
      impl_->embed16(planePtr<uint16_t>(env, info[0], impl_->width(), impl_->height(), stride, napi_uint16_array), stride);
    return env.Undefined();
  }
  std::unique_ptr<vigil::Embedder> impl_;
};

// FrameRelay({ dir, frameBytes, lumaBytes, embedders: (Embedder | null)[] }): the FIFOs are made
// at once (sourcePath, sinkPaths); run() relays on its own thread and resolves with
// { frames, trailingBytes }, or rejects with the relay's error ("relay cancelled" after cancel()).
class FrameRelayWrap : public Napi::ObjectWrap<FrameRelayWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "FrameRelay", {InstanceMethod("run", &FrameRelayWrap::Run), InstanceMethod("cancel", &FrameRelayWrap::Cancel),
                                           InstanceAccessor("frames", &FrameRelayWrap::Frames, nullptr),
                                           InstanceAccessor("sourcePath", &FrameRelayWrap::SourcePath, nullptr),
                                           InstanceAccessor("sinkPaths", &FrameRelayWrap::SinkPaths, nullptr)});
  }
  explicit FrameRelayWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FrameRelayWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options object required");
    Napi::Object o = info[0].As<Napi::Object>();
    if (!o.Get("dir").IsString()) throw Napi::TypeError::New(env, "dir must be a string");
    Napi::Value frameBytes = o.Get("frameBytes"), lumaBytes = o.Get("lumaBytes"), list = o.Get("embedders");
    if (!frameBytes.IsNumber() || !lumaBytes.IsNumber()) throw Napi::TypeError::New(env, "frameBytes and lumaBytes must be numbers");
    if (!list.IsArray()) throw Napi::TypeError::New(env, "embedders must be an array");
    Napi::Array arr = list.As<Napi::Array>();
    std::vector<vigil::Embedder*> embedders;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value e = arr.Get(i);
      embedders.push_back(e.IsNull() || e.IsUndefined() ? nullptr : EmbedderWrap::from(env, e));
      if (embedders.back()) keep_.push_back(Napi::Persistent(e.As<Napi::Object>()));
    }
    vigil::RelayLayout layout{static_cast<size_t>(frameBytes.As<Napi::Number>().Int64Value()), static_cast<size_t>(lumaBytes.As<Napi::Number>().Int64Value())};
    try {
      impl_ = std::make_unique<vigil::FrameRelay>(o.Get("dir").As<Napi::String>().Utf8Value(), layout, std::move(embedders));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  struct Outcome {
    uint64_t frames = 0;
    size_t trailingBytes = 0;
    std::string error;
  };

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (started_) throw Napi::Error::New(env, "a relay runs once");
    started_ = true;
    auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
    Napi::ThreadSafeFunction done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "vigil-relay", 0, 1);
    Ref();  // the relay must outlive its thread
    vigil::FrameRelay* relay = impl_.get();
    std::thread([relay, done, deferred, this]() mutable {
      auto* outcome = new Outcome();
      try {
        outcome->frames = relay->run(&outcome->trailingBytes);
      } catch (const std::exception& e) {
        outcome->error = e.what();
      }
      done.BlockingCall(outcome, [deferred, this](Napi::Env env, Napi::Function, Outcome* r) {
        if (r->error.empty()) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("frames", Napi::Number::New(env, static_cast<double>(r->frames)));
          o.Set("trailingBytes", Napi::Number::New(env, static_cast<double>(r->trailingBytes)));
          deferred->Resolve(o);
        } else {
          deferred->Reject(Napi::Error::New(env, r->error).Value());
        }
        delete r;
        Unref();
      });
      done.Release();
    }).detach();
    return deferred->Promise();
  }
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    impl_->cancel();
    return info.Env().Undefined();
  }
  Napi::Value Frames(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(impl_->frames())); }
  Napi::Value SourcePath(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), impl_->sourcePath()); }
  Napi::Value SinkPaths(const Napi::CallbackInfo& info) {
    Napi::Array a = Napi::Array::New(info.Env(), impl_->sinkPaths().size());
    for (size_t i = 0; i < impl_->sinkPaths().size(); i++) a.Set(static_cast<uint32_t>(i), impl_->sinkPaths()[i]);
    return a;
  }

  std::unique_ptr<vigil::FrameRelay> impl_;
  std::vector<Napi::ObjectReference> keep_;  // the embedders the relay marks with
  bool started_ = false;
};

class DetectorWrap : public Napi::ObjectWrap<DetectorWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Detector",
                       {InstanceMethod("accumulate", &DetectorWrap::Accumulate), InstanceMethod("result", &DetectorWrap::Result),
                        InstanceMethod("reset", &DetectorWrap::Reset)});
  }
  explicit DetectorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DetectorWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options object required");
    Napi::Object o = info[0].As<Napi::Object>();
    const uint8_t* key = keyBytes(env, o.Get("key"));
    int w = intField(env, o, "width"), h = intField(env, o, "height"), d = intField(env, o, "bitDepth");
    try {
      const Napi::Value chips = o.Get("readChipped");
      impl_ = std::make_unique<vigil::Detector>(key, w, h, d, chips.IsBoolean() && chips.As<Napi::Boolean>().Value());
    } catch (const std::exception& e) {
      throw Napi::RangeError::New(env, e.what());
    }
  }

 private:
  Napi::Value Accumulate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int stride = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : impl_->width();
    if (impl_->bitDepth() == 8)
      impl_->accumulate8(planePtr<uint8_t>(env, info[0], impl_->width(), impl_->height(), stride, napi_uint8_array), stride);
    else
      impl_->accumulate16(planePtr<uint16_t>(env, info[0], impl_->width(), impl_->height(), stride, napi_uint16_array), stride);
    return env.Undefined();
  }
  Napi::Value Result(const Napi::CallbackInfo& info) { return resultObject(info.Env(), impl_->result()); }
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    impl_->reset();
    return info.Env().Undefined();
  }
  std::unique_ptr<vigil::Detector> impl_;
};

vigil::PlaneRef planeRef(const Napi::Env& env, const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "plane descriptor must be an object");
  Napi::Object o = v.As<Napi::Object>();
  vigil::PlaneRef r{};
  r.width = intField(env, o, "width");
  r.height = intField(env, o, "height");
  r.bitDepth = intField(env, o, "bitDepth");
  Napi::Value sv = o.Get("stride");
  r.stride = sv.IsNumber() ? sv.As<Napi::Number>().Int32Value() : r.width;
  if (r.width < 32 || r.height < 32) throw Napi::RangeError::New(env, "plane too small (min 32x32)");
  if (r.bitDepth == 8)
    r.data = planePtr<uint8_t>(env, o.Get("plane"), r.width, r.height, r.stride, napi_uint8_array);
  else if (r.bitDepth == 10)
    r.data = planePtr<uint16_t>(env, o.Get("plane"), r.width, r.height, r.stride, napi_uint16_array);
  else
    throw Napi::RangeError::New(env, "bitDepth must be 8 or 10");
  return r;
}

Napi::Value DetectWithOriginal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options object required");
  Napi::Object o = info[0].As<Napi::Object>();
  const uint8_t* key = keyBytes(env, o.Get("key"));
  vigil::PlaneRef leak = planeRef(env, o.Get("leak")), orig = planeRef(env, o.Get("original"));
  return resultObject(env, vigil::detectWithOriginal(key, leak, orig));
}

// ------------------------------------------------------------------ perceptual fingerprint

Napi::Value Fingerprint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) throw Napi::TypeError::New(env, "fingerprint(plane, width, height, stride?)");
  int w = info[1].As<Napi::Number>().Int32Value(), h = info[2].As<Napi::Number>().Int32Value();
  int stride = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : w;
  if (w < 16 || h < 16) throw Napi::RangeError::New(env, "plane too small (min 16x16)");
  const uint8_t* p = planePtr<uint8_t>(env, info[0], w, h, stride, napi_uint8_array);
  vigil::fp::Fingerprint f = vigil::fp::fingerprint8(p, w, h, stride);
  Napi::Buffer<uint8_t> bits = Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(f.h), vigil::fp::kBytes);
  Napi::Object o = Napi::Object::New(env);
  o.Set("bits", bits);
  o.Set("informative", f.informative);
  o.Set("contrast", f.contrast);
  Napi::Object c = Napi::Object::New(env);
  c.Set("x", f.content.x);
  c.Set("y", f.content.y);
  c.Set("width", f.content.width);
  c.Set("height", f.content.height);
  o.Set("content", c);
  return o;
}

// A packed fingerprint array: n * kBytes bytes (little-endian words, 8-byte aligned by the caller or copied here).
struct Packed {
  std::vector<uint64_t> words;
  int n = 0;
};

Packed packed(const Napi::Env& env, const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, std::string(what) + " must be a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  if (a.ByteLength() % vigil::fp::kBytes != 0) throw Napi::RangeError::New(env, std::string(what) + " length is not a multiple of the fingerprint size");
  Packed p;
  p.n = static_cast<int>(a.ByteLength() / vigil::fp::kBytes);
  p.words.resize(a.ByteLength() / 8);
  std::memcpy(p.words.data(), a.Data(), a.ByteLength());
  return p;
}

const uint8_t* flags(const Napi::Env& env, const Napi::Value& v, int n, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || v.As<Napi::Uint8Array>().ElementLength() != static_cast<size_t>(n))
    throw Napi::TypeError::New(env, std::string(what) + " must be a Uint8Array with one flag per fingerprint");
  return v.As<Napi::Uint8Array>().Data();
}

const double* times(const Napi::Env& env, const Napi::Value& v, int n, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array || v.As<Napi::Float64Array>().ElementLength() != static_cast<size_t>(n))
    throw Napi::TypeError::New(env, std::string(what) + " must be a Float64Array with one time per fingerprint");
  return v.As<Napi::Float64Array>().Data();
}

Napi::Value FingerprintDistance(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Packed a = packed(env, info[0], "a"), b = packed(env, info[1], "b");
  if (a.n != 1 || b.n != 1) throw Napi::RangeError::New(env, "one fingerprint each");
  bool mirror = info.Length() < 3 || !info[2].IsBoolean() || info[2].As<Napi::Boolean>().Value();
  return Napi::Number::New(env, vigil::fp::distance(a.words.data(), b.words.data(), mirror));
}

// matchSequences(refBits, refTimes, refInformative, candBits, candTimes, candInformative, params)
Napi::Value MatchSequences(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[6].IsObject()) throw Napi::TypeError::New(env, "matchSequences: 7 arguments");
  Packed ref = packed(env, info[0], "reference"), cand = packed(env, info[3], "candidate");
  const double* rt = times(env, info[1], ref.n, "reference times");
  const uint8_t* ri = flags(env, info[2], ref.n, "reference informative");
  const double* ct = times(env, info[4], cand.n, "candidate times");
  const uint8_t* ci = flags(env, info[5], cand.n, "candidate informative");
  Napi::Object o = info[6].As<Napi::Object>();
  vigil::fp::MatchParams prm;
  prm.frameThreshold = intField(env, o, "frameThreshold");
  prm.minVotes = intField(env, o, "minVotes");
  prm.minCoverage = o.Get("minCoverage").As<Napi::Number>().DoubleValue();
  prm.binSeconds = o.Get("binSeconds").As<Napi::Number>().DoubleValue();
  prm.mirror = o.Get("mirror").As<Napi::Boolean>().Value();
  vigil::fp::SequenceMatch m = vigil::fp::matchSequences(ref.words.data(), rt, ri, ref.n, cand.words.data(), ct, ci, cand.n, prm);
  Napi::Object r = Napi::Object::New(env);
  r.Set("matched", m.matched);
  r.Set("distance", m.distance);
  r.Set("offset", m.offset);
  r.Set("votes", m.votes);
  r.Set("runnerUpVotes", m.runnerUpVotes);
  r.Set("matchedFrames", m.matchedFrames);
  r.Set("comparableFrames", m.comparableFrames);
  r.Set("candidateFrames", m.candidateFrames);
  r.Set("coverage", m.coverage);
  Napi::Array spans = Napi::Array::New(env, m.spans.size());
  for (size_t i = 0; i < m.spans.size(); i++) {
    Napi::Object s = Napi::Object::New(env);
    s.Set("refStart", m.spans[i].refStart);
    s.Set("refEnd", m.spans[i].refEnd);
    s.Set("candStart", m.spans[i].candStart);
    s.Set("candEnd", m.spans[i].candEnd);
    spans.Set(static_cast<uint32_t>(i), s);
  }
  r.Set("matchedSpans", spans);
  return r;
}

// matchImages(refBits, refInformative, candBits, candInformative, threshold, mirror)
Napi::Value MatchImages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6) throw Napi::TypeError::New(env, "matchImages: 6 arguments");
  Packed ref = packed(env, info[0], "reference"), cand = packed(env, info[2], "candidate");
  const uint8_t* ri = flags(env, info[1], ref.n, "reference informative");
  const uint8_t* ci = flags(env, info[3], cand.n, "candidate informative");
  int threshold = info[4].As<Napi::Number>().Int32Value();
  bool mirror = info[5].As<Napi::Boolean>().Value();
  std::vector<vigil::fp::PageMatch> ms = vigil::fp::matchImages(ref.words.data(), ri, ref.n, cand.words.data(), ci, cand.n, threshold, mirror);
  Napi::Array arr = Napi::Array::New(env, ms.size());
  for (size_t i = 0; i < ms.size(); i++) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("candidate", ms[i].candidate);
    m.Set("reference", ms[i].reference);
    m.Set("distance", ms[i].distance);
    m.Set("matched", ms[i].matched);
    arr.Set(static_cast<uint32_t>(i), m);
  }
  return arr;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function embedder = EmbedderWrap::Init(env);
  auto* data = new AddonData();
  data->embedderClass = Napi::Persistent(embedder);
  env.SetInstanceData(data);
  exports.Set("Embedder", embedder);
  exports.Set("FrameRelay", FrameRelayWrap::Init(env));
  exports.Set("Detector", DetectorWrap::Init(env));
  exports.Set("detectWithOriginal", Napi::Function::New(env, DetectWithOriginal));
  exports.Set("tileChips", Napi::Function::New(env, TileChips));
  exports.Set("fingerprint", Napi::Function::New(env, Fingerprint));
  exports.Set("fingerprintDistance", Napi::Function::New(env, FingerprintDistance));
  exports.Set("matchSequences", Napi::Function::New(env, MatchSequences));
  exports.Set("matchImages", Napi::Function::New(env, MatchImages));
  exports.Set("version", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kVersion); }));
  Napi::Object timing = Napi::Object::New(env);
  timing.Set("groupFrames", vigil::kSignGroupFrames);
  timing.Set("rampFrames", vigil::kSignRampFrames);
  exports.Set("signTiming", timing);
  return exports;
}

}  // namespace

NODE_API_MODULE(vigil_native, Init)
