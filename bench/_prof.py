import asyncio, cProfile, pstats, gc, sys
sys.path.insert(0, "bench")
from gc_check import client_factory, body

async def main(shape, n):
    client, headers, engine = await client_factory("postgresql://postgres@127.0.0.1:5432/custgraph_bench")()
    payload = body(shape)
    for _ in range(5):
        r = await client.post("/graphql", content=payload, headers=headers)
    gc.collect(); gc.freeze(); gc.set_threshold(20000, 10, 10)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(n):
        await client.post("/graphql", content=payload, headers=headers)
    pr.disable()
    st = pstats.Stats(pr); st.sort_stats("tottime").print_stats(35)
    await client.aclose(); await engine.dispose()
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
