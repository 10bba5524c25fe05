package names

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// culture is how one part of the world names people: family names, given
// names, whether the family name comes first, and the nationality.
type culture struct {
	country     string
	familyFirst bool
	family      []string
	given       []string
	// givenParts > 1 joins that many given names (Korean and Chinese
	// two-syllable given names, Spanish double names).
	givenParts int
}

// cultures are the ordinary names the false-positive population draws
// from: the common names of many countries, Korean and Chinese among
// them (the hard case: the list holds many Korean and Chinese names of
// the same few syllables).
var cultures = []culture{
	{"KR", true, []string{"Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh", "Seo", "Shin", "Kwon", "Hwang", "Ahn", "Song", "Jeon", "Hong", "Yoo", "Ko", "Moon", "Yang", "Son", "Bae", "Baek", "Heo", "Nam", "Noh"},
		[]string{"Min", "Jun", "Seo", "Yeon", "Ji", "Hoon", "Ha", "Eun", "Do", "Yun", "Woo", "Su", "Bin", "Ye", "Jin", "Hyun", "Jae", "Won", "Young", "Ho", "Sung", "Dong", "Hye", "Kyung", "Soo", "Tae", "Yang", "Na", "So", "Hee", "Seung", "Ah", "Jeong", "Mi", "Kyu", "Yeong", "Hwan", "Sik", "Chan", "Gyu"}, 2},
	{"CN", true, []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Deng", "Feng", "Han", "Cao", "Peng"},
		[]string{"Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming", "Chao", "Xiu", "Ying", "Hua", "Ping", "Gang", "Hui", "Xin", "Yu", "Hao", "Yi", "Fan", "Zi", "Han", "Xuan", "Lan", "Mei", "Hong", "Bo", "Kai", "Rui", "Ning", "Jian", "Guo", "Dong"}, 2},
	{"US", false, []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker"},
		[]string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Emily", "Daniel", "Matthew", "Ashley", "Andrew", "Olivia", "Ryan", "Megan", "Kevin", "Laura"}, 1},
	{"ES", false, []string{"Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Morales", "Ortiz", "Castillo", "Jimenez", "Ruiz", "Alvarez", "Romero"},
		[]string{"Jose", "Maria", "Juan", "Carmen", "Luis", "Ana", "Carlos", "Lucia", "Javier", "Isabel", "Miguel", "Elena", "Alejandro", "Sofia", "Diego", "Paula", "Pablo", "Marta", "Sergio", "Laura"}, 1},
	{"DE", false, []string{"Muller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schroder", "Neumann", "Schwarz", "Braun", "Zimmermann", "Kruger"},
		[]string{"Lukas", "Anna", "Jonas", "Lea", "Felix", "Lena", "Maximilian", "Hannah", "Paul", "Mia", "Jan", "Laura", "Tim", "Julia", "Niklas", "Sophie", "Leon", "Marie", "Tobias", "Katharina"}, 1},
	{"FR", false, []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"},
		[]string{"Jean", "Marie", "Pierre", "Camille", "Louis", "Chloe", "Lucas", "Manon", "Hugo", "Ines", "Nicolas", "Julie", "Antoine", "Claire", "Mathieu", "Amelie", "Julien", "Celine", "Thomas", "Aurelie"}, 1},
	{"RU", false, []string{"Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov", "Mikhailov", "Novikov", "Fedorov", "Morozov", "Volkov", "Alekseev", "Lebedev", "Semenov", "Egorov", "Pavlov", "Kozlov", "Stepanov", "Nikolaev"},
		[]string{"Alexander", "Anastasia", "Dmitry", "Maria", "Maxim", "Daria", "Sergey", "Elena", "Andrey", "Olga", "Ivan", "Tatiana", "Mikhail", "Natalia", "Nikita", "Irina", "Artem", "Ekaterina", "Pavel", "Svetlana"}, 1},
	{"IN", false, []string{"Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Reddy", "Iyer", "Nair", "Das", "Mehta", "Joshi", "Rao", "Chopra", "Malhotra", "Agarwal", "Banerjee", "Mukherjee", "Pillai", "Desai"},
		[]string{"Aarav", "Priya", "Vivaan", "Ananya", "Aditya", "Diya", "Arjun", "Isha", "Rohan", "Kavya", "Rahul", "Sneha", "Vikram", "Pooja", "Karan", "Neha", "Siddharth", "Riya", "Amit", "Anjali"}, 1},
	{"EG", false, []string{"Hassan", "Ali", "Ibrahim", "Mahmoud", "Abdelrahman", "Mostafa", "Youssef", "Saleh", "Khalil", "Nasser", "Farouk", "Mansour", "Hamdy", "Fathy", "Sayed", "Kamal", "Shawky", "Ezzat", "Gaber", "Tawfik"},
		[]string{"Ahmed", "Fatma", "Omar", "Nour", "Karim", "Mariam", "Tarek", "Salma", "Amr", "Yasmin", "Hany", "Dina", "Sherif", "Rana", "Waleed", "Heba", "Khaled", "Aya", "Mostafa", "Laila"}, 1},
	{"JP", true, []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori"},
		[]string{"Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Riku", "Sakura", "Hiroshi", "Yuki", "Takumi", "Mei", "Kenta", "Rin", "Daiki", "Mio", "Shota", "Nanami", "Kaito", "Airi"}, 1},
	{"VN", true, []string{"Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do", "Ho", "Ngo", "Duong", "Ly"},
		[]string{"Anh", "Minh", "Linh", "Huong", "Tuan", "Thao", "Duc", "Lan", "Hung", "Trang", "Nam", "Mai", "Quang", "Ha", "Long", "Thu", "Khoa", "Ngoc", "Phuong", "Binh"}, 2},
	{"NG", false, []string{"Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Ibrahim", "Olawale", "Nwosu", "Adebayo", "Chukwu", "Bello", "Obi", "Afolabi", "Onyeka", "Ogunleye", "Musa", "Danjuma", "Eboh", "Okeke", "Abubakar"},
		[]string{"Chinedu", "Ngozi", "Emeka", "Funmilayo", "Tunde", "Amaka", "Ifeanyi", "Bisi", "Oluwaseun", "Chiamaka", "Segun", "Halima", "Yusuf", "Adaeze", "Kelechi", "Zainab", "Babatunde", "Nkechi", "Obinna", "Aisha"}, 1},
	{"TR", false, []string{"Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Yildirim", "Ozturk", "Aydin", "Ozdemir", "Arslan", "Dogan", "Kilic", "Aslan", "Cetin", "Kara", "Koc", "Kurt", "Ozkan", "Simsek"},
		[]string{"Mehmet", "Ayse", "Mustafa", "Fatma", "Ahmet", "Emine", "Ali", "Hatice", "Huseyin", "Zeynep", "Hasan", "Elif", "Ibrahim", "Merve", "Murat", "Esra", "Emre", "Burak", "Ozlem", "Can"}, 1},
	{"BR", false, []string{"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa"},
		[]string{"Joao", "Ana", "Pedro", "Juliana", "Gabriel", "Fernanda", "Lucas", "Beatriz", "Rafael", "Camila", "Gustavo", "Larissa", "Felipe", "Mariana", "Bruno", "Leticia", "Thiago", "Vanessa", "Rodrigo", "Patricia"}, 1},
	{"PL", false, []string{"Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kowalczyk", "Kaminski", "Lewandowski", "Zielinski", "Szymanski", "Wozniak", "Dabrowski", "Kozlowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawlowski"},
		[]string{"Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Malgorzata", "Pawel", "Agnieszka", "Michal", "Magdalena", "Marcin", "Joanna", "Lukasz", "Ewa", "Jakub", "Monika", "Grzegorz", "Aleksandra", "Adam", "Karolina"}, 1},
	{"UA", false, []string{"Melnyk", "Shevchenko", "Boyko", "Kovalenko", "Bondarenko", "Tkachenko", "Kovalchuk", "Kravchenko", "Oliynyk", "Shevchuk", "Koval", "Polishchuk", "Bondar", "Tkachuk", "Moroz", "Marchenko", "Lysenko", "Rudenko", "Savchenko", "Petrenko"},
		[]string{"Oleksandr", "Olena", "Andriy", "Iryna", "Serhiy", "Natalia", "Volodymyr", "Oksana", "Mykola", "Tetiana", "Dmytro", "Yulia", "Yuriy", "Svitlana", "Vasyl", "Halyna", "Ihor", "Kateryna", "Bohdan", "Mariya"}, 1},
}

// person is one generated candidate: names as written, date of birth,
// nationality.
type person struct {
	names       []string
	birthdate   string
	nationality string
}

// population generates n ordinary people, reproducibly from seed. A
// Korean or Chinese name is written in one of the forms people use
// (family first or last, given names hyphenated, spaced or run together);
// some people give a second spelling as an alias.
func population(n int, seed uint64) []person {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]person, n)
	for i := range out {
		c := cultures[r.IntN(len(cultures))]
		fam := c.family[r.IntN(len(c.family))]
		parts := 1
		if c.givenParts > 1 && r.IntN(4) != 0 {
			parts = c.givenParts
		}
		var giv []string
		for range parts {
			giv = append(giv, c.given[r.IntN(len(c.given))])
		}
		given := strings.Join(giv, " ")
		if parts > 1 {
			switch r.IntN(3) {
			case 0:
				given = giv[0] + "-" + strings.ToLower(strings.Join(giv[1:], "-"))
			case 1:
				given = giv[0] + strings.ToLower(strings.Join(giv[1:], ""))
			}
		} else if !c.familyFirst && r.IntN(5) == 0 { // a middle name
			given += " " + c.given[r.IntN(len(c.given))]
		}
		name := given + " " + fam
		if c.familyFirst && r.IntN(2) == 0 {
			name = fam + " " + given
		}
		p := person{names: []string{name}, nationality: c.country,
			birthdate: fmt.Sprintf("%04d-%02d-%02d", 1960+r.IntN(45), 1+r.IntN(12), 1+r.IntN(28))}
		if r.IntN(10) == 0 { // an alias: the name in the other order
			p.names = append(p.names, fam+" "+given)
		}
		out[i] = p
	}
	return out
}
