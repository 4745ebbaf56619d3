{
  "targets": [
    {
      "target_name": "vigil_native",
      "sources": [
        "src/ecc.cc",
        "src/pattern.cc",
        "src/codeword.cc",
        "src/embed.cc",
        "src/chipsync.cc",
        "src/detect.cc",
        "src/register.cc",
        "src/fingerprint.cc",
        "src/relay.cc",
        "src/binding.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0"],
      "cflags": ["-O3", "-march=x86-64-v2", "-mtune=generic", "-fno-math-errno"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-march=x86-64-v2", "-mtune=generic", "-fno-math-errno"]
    }
  ]
}
