-- CreateTable
CREATE TABLE "StreamSession" (
    "id" TEXT NOT NULL,
    "vhost" TEXT NOT NULL,
    "app" TEXT NOT NULL,
    "stream" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "videoCodec" TEXT,
    "videoProfile" TEXT,
    "videoLevel" TEXT,
    "width" INTEGER,
    "height" INTEGER,
    "frameRate" DOUBLE PRECISION,
    "audioCodec" TEXT,
    "audioSampleRate" INTEGER,
    "audioChannels" INTEGER,
    "audioProfile" TEXT,
    "bytesIn" BIGINT NOT NULL DEFAULT 0,
    "bytesOut" BIGINT,
    "endReason" TEXT,

    CONSTRAINT "StreamSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClientSession" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "vhost" TEXT NOT NULL,
    "app" TEXT NOT NULL,
    "stream" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "bytesIn" BIGINT NOT NULL DEFAULT 0,
    "bytesOut" BIGINT NOT NULL DEFAULT 0,
    "endReason" TEXT,

    CONSTRAINT "ClientSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Recording" (
    "id" TEXT NOT NULL,
    "vhost" TEXT NOT NULL,
    "app" TEXT NOT NULL,
    "stream" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "durationMs" INTEGER NOT NULL DEFAULT 0,
    "size" BIGINT NOT NULL DEFAULT 0,
    "complete" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Recording_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "type" TEXT NOT NULL,
    "vhost" TEXT,
    "app" TEXT,
    "stream" TEXT,
    "clientId" TEXT,
    "data" TEXT,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StreamSession_startedAt_idx" ON "StreamSession"("startedAt");

-- CreateIndex
CREATE INDEX "StreamSession_vhost_app_stream_startedAt_idx" ON "StreamSession"("vhost", "app", "stream", "startedAt");

-- CreateIndex
CREATE INDEX "StreamSession_ip_startedAt_idx" ON "StreamSession"("ip", "startedAt");

-- CreateIndex
CREATE INDEX "StreamSession_endedAt_idx" ON "StreamSession"("endedAt");

-- CreateIndex
CREATE INDEX "ClientSession_startedAt_idx" ON "ClientSession"("startedAt");

-- CreateIndex
CREATE INDEX "ClientSession_vhost_app_stream_startedAt_idx" ON "ClientSession"("vhost", "app", "stream", "startedAt");

-- CreateIndex
CREATE INDEX "ClientSession_ip_startedAt_idx" ON "ClientSession"("ip", "startedAt");

-- CreateIndex
CREATE INDEX "ClientSession_kind_startedAt_idx" ON "ClientSession"("kind", "startedAt");

-- CreateIndex
CREATE INDEX "ClientSession_endedAt_idx" ON "ClientSession"("endedAt");

-- CreateIndex
CREATE INDEX "Recording_startedAt_idx" ON "Recording"("startedAt");

-- CreateIndex
CREATE INDEX "Recording_vhost_app_stream_startedAt_idx" ON "Recording"("vhost", "app", "stream", "startedAt");

-- CreateIndex
CREATE INDEX "Recording_endedAt_idx" ON "Recording"("endedAt");

-- CreateIndex
CREATE INDEX "Event_at_idx" ON "Event"("at");

-- CreateIndex
CREATE INDEX "Event_type_at_idx" ON "Event"("type", "at");

-- CreateIndex
CREATE INDEX "Event_vhost_app_stream_at_idx" ON "Event"("vhost", "app", "stream", "at");
