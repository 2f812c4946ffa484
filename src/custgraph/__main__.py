from custgraph.cli import main

main()
