{
  "targets": [
    {
      "target_name": "rtc_send",
      "sources": ["rtc_send.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"]
    }
  ]
}
