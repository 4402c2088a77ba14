"""Passwords that guessing tools try first (well-known leaked-password favourites, written
out here so nothing is downloaded). `security.password_problem` refuses these, with or without
digits or symbols added at the end, whatever their case."""

COMMON_PASSWORDS = frozenset("""
0000 000000 00000000 0987654321 101010 1111 11111 111111 11111111 112233 11223344 1212 121212
12121212 123123 123123123 123321 1234 12341234 123412341234 12344321 12345 123454321 1234554321
123456 1234567 12345678 123456789 1234567890 123456789a 1234567a 123456a 12345a 1234qwer 123654
123abc 123qwe 123qweasd 131313 147258 147258369 159357 159753 1987 1990 1991 1992 1q2w3e 1q2w3e4r
1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx 1qaz2wsx3edc 1qazxsw2 2000 222222 22222222 232323 258456 333333
33333333 44444444 55555 555555 55555555 654321 666666 66666666 696969 741852963 777777 7777777
77777777 789456 8675309 87654321 888888 88888888 963852741 987654 987654321 999999 99999999 a123456
aa123456 aaaaaa aaaaaaaa abc123 abc12345 abc123456 abcabc abcd abcd1234 abcdef abcdefg abcdefgh
abcdefghi access adidas admin admin123 administrator alexander amanda andrea andrew angel angel1
angela angels anthony apple apples arsenal asdf asdf1234 asdfasdf asdfgh asdfghjkl ashley austin
azerty azertyuiop baby babygirl bach badboy bailey banana barney baseball baseball1 basketball
batman beethoven bigdog black blessed booboo booger boomer boston brandon brandy bulldog buster
butter camaro cameron canada carlos casper changeme charles charlie cheese chelsea chester chicago
chicken chopin chris cocacola coffee compaq computer contrasena cookie cooper corvette cowboy
cowboys crystal dakota dallas dancer daniel danielle database david debian default dennis diablo
diamond dragon dragon1 eagles edward enter facebook falcon family fender ferrari fishing flower
flowers football football1 forever fortnite freedom friends gandalf gateway george gfhjkm ghbdtn
ginger gizmo golden golfer google guest guitar guitar1 hammer hannah harley harmony haslo heather
heaven hello hello123 hellokitty heslo hockey hockey1 hunter iceman iloveu iloveyou iloveyou1
instagram internet jackie jackson jaguar james jasmine jasper jelszo jennifer jessica jesus john
johnny johnson jonathan jordan jordan1 jordan23 joseph joshua junior justin killer klaster knight
lakers lauren letmein letmein1 linkedin linux liverpoo login london love lovely loveyou lozinka
madison maggie marina marine marlboro martin master master1 matrix matthew maverick melissa melody
mercedes merlin michael michelle mickey microsoft midnight mike miller minecraft money monkey
monkey1 monster morgan motdepasse mother mozart muffin murphy music music123 mustang mypass
mypassword mysql naruto nascar natasha nathan ncc1701 network newyork nicole nikita oliver oracle
orange p@ssw0rd p@ssword panther parola pass pass123 pass1234 passpass passw0rd password password1
password12 password123 passwort patrick peanut pepper phoenix piano player please pokemon pokemon1
porsche postgres prince princess princess1 purple q1w2e3 q1w2e3r4 q1w2e3r4t5 qazwsx qazwsxedc qazxsw
qwaszx qwe123 qweasd qweasdzxc qwer1234 qwert qwerty qwerty1 qwerty123 qwertyuiop qwertz rabbit
rachel raiders rainbow ranger rangers razz redskins redsox richard robert roblox rocket root
salasana samantha sammy samsung scooby scooter scorpion secret secret1 secret123 security senha
server shadow shadow1 shannon sifre silver slayer slipknot smokey snoopy soccer soccer1 softball
sonatina sophie spanky sparky spider startrek starwars starwars1 steelers steven summer sunshine
sunshine1 superman superman1 sweetie symphony taylor tennis test thomas thunder thx1138 tiger tigers
tigger toor toyota trustme trustno1 turtle twitter ubuntu user victoria viking violin volleyball
wachtwoord welcome welcome1 welcome123 whatever william windows winner winston winter wizard xxxxxx
yamaha yankees yellow youtube zaq12wsx zxcv1234 zxcvbn zxcvbnm zxcvbnm123
""".split())
