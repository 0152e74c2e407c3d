curl --url http://ECHO/one http://ECHO/two --url http://ECHO/three
