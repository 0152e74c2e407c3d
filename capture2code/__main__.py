from capture2code.cli import main

main()
