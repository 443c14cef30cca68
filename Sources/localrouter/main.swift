print("localrouter")
