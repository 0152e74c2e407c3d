curl "http://ECHO/wiki/Zürich/Straße?lang=de&q=straße&author=O'Reilly"
