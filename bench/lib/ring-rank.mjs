// The rank side of the collective benchmarks (allreduce, collective-large): each rank is a child
// process that binds its endpoint, tells the parent its address, receives the ring (rank, world
// size, peers) and builds its communicator.

/**
 * Binds an endpoint for run `runId`, exchanges addresses with the parent over IPC, and returns
 * the rank's communicator with the parent's setup message and the endpoint (the caller closes it
 * after the communicator). `module` is another build of @awn/collective to measure (baselines).
 */
export async function ringRank({ runId, deadlineMs, module, ipc }) {
  const { Communicator, RingEndpoint } = await import(module ?? '@awn/collective');
  const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:*', {
    runId,
    ...(ipc === undefined ? {} : { ipcTwin: ipc }),
  });
  const setup = await new Promise((resolve) => {
    process.once('message', resolve);
    process.send({ address: endpoint.address });
  });
  const chunkBytes = process.env.AWN_BENCH_CHUNK_KIB ? Number(process.env.AWN_BENCH_CHUNK_KIB) * 1024 : undefined;
  const comm = await Communicator.create({
    ...setup,
    generation: 0,
    runId,
    endpoint,
    deadlineMs,
    chunkBytes,
    ...(ipc === undefined ? {} : { preferIpc: ipc }),
  });
  return { comm, setup, endpoint };
}
