-- The cluster node that wrote the row (tsrs `cluster { node_id }`, else hostname:api-port); ''
-- for rows written before nodes were recorded. A node's startup repair closes only its own rows.
ALTER TABLE "StreamSession" ADD COLUMN "node" TEXT NOT NULL DEFAULT '';
ALTER TABLE "ClientSession" ADD COLUMN "node" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Recording" ADD COLUMN "node" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "StreamSession_node_endedAt_idx" ON "StreamSession"("node", "endedAt");
CREATE INDEX "ClientSession_node_endedAt_idx" ON "ClientSession"("node", "endedAt");
CREATE INDEX "Recording_node_endedAt_idx" ON "Recording"("node", "endedAt");
