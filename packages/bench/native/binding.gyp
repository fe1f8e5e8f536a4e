{
  "targets": [
    {
      "target_name": "rtp_recv",
      "sources": ["rtp_recv.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
